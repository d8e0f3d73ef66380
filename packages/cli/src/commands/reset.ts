import { createInterface } from 'node:readline/promises';
import { isStromError, type ResetPlan } from '@strom/core';
import type { Argv, CommandModule } from 'yargs';
import type { CommandContext, GlobalArgs } from '../context.js';
import { CommandError, UsageError } from '../errors.js';

interface ResetArgs extends GlobalArgs {
  'dry-run': boolean;
  yes: boolean;
}

const list = (names: readonly string[]) => names.join(', ');

const HEADINGS = {
  'dry-run': (appId: string) => `reset of app ${appId} (dry run: nothing changed)`,
  planned: (appId: string) => `reset of app ${appId}`,
  done: (appId: string) => `reset of app ${appId}: done`,
};

/** What a reset deletes and keeps, one line per kind of thing. */
function describePlan(plan: ResetPlan, stage: keyof typeof HEADINGS): string {
  const verb = stage === 'done' ? 'deleted' : 'delete';
  const lines = [HEADINGS[stage](plan.appId)];
  lines.push(
    `  consumer group ${plan.groupId}: ${verb}${
      plan.committedTopics.length
        ? `, with its offsets on ${list(plan.committedTopics)}`
        : ' (no committed offsets)'
    }`,
  );
  lines.push(
    plan.internalTopics.length
      ? `  internal topics: ${verb} ${list(plan.internalTopics)}`
      : '  internal topics: none on the broker',
  );
  lines.push(
    plan.stateDirExists
      ? `  local state: ${verb} ${plan.stateDir}`
      : `  local state: none here (${plan.stateDir})`,
  );
  lines.push(
    `  kept: input and output topics${
      plan.deadLetterTopics.length ? `, dead-letter topics ${list(plan.deadLetterTopics)}` : ''
    }`,
  );
  if (plan.lookalikeTopics.length) {
    lines.push(
      `  left alone: ${list(plan.lookalikeTopics)} (named like internal topics of ${plan.appId}, but the app does not declare them: another app's, or leftovers to delete by hand)`,
    );
  }
  return `${lines.join('\n')}\n`;
}

async function confirmed(appId: string): Promise<boolean> {
  if (!process.stdin.isTTY) {
    throw new UsageError('reset deletes data: pass --yes to confirm (or --dry-run to see what it would do)');
  }
  const prompt = createInterface({ input: process.stdin, output: process.stdout });
  try {
    const answer = await prompt.question(`reset app ${appId} as listed above? [y/N] `);
    return /^y(es)?$/i.test(answer.trim());
  } finally {
    prompt.close();
  }
}

/** `strom reset`: the app starts over (offsets, internal topics, local state); --dry-run shows how. */
export function resetCommand(context: CommandContext): CommandModule<GlobalArgs, ResetArgs> {
  return {
    command: 'reset',
    describe:
      "make the app start over: delete its consumer group's offsets, its changelog and repartition topics, and its local state",
    builder: (yargs: Argv<GlobalArgs>) =>
      yargs
        .option('dry-run', {
          type: 'boolean',
          default: false,
          describe: 'print what it would do; change nothing',
        })
        .option('yes', {
          alias: 'y',
          type: 'boolean',
          default: false,
          describe: 'do not ask for confirmation',
        }),
    handler: async (args) => {
      const app = await context.connectedApp(args);
      try {
        const plan = await app.planReset();
        if (args['dry-run']) {
          process.stdout.write(describePlan(plan, 'dry-run'));
          return;
        }
        // with live workers reset() refuses, and checks again: a worker may start meanwhile
        if (plan.liveMembers.length === 0 && !args.yes) {
          process.stdout.write(describePlan(plan, 'planned'));
          if (!(await confirmed(app.id))) throw new CommandError('reset cancelled: nothing changed');
        }
        let done: ResetPlan;
        try {
          done = await app.reset();
        } catch (error) {
          if (isStromError(error) && error.code === 'NOT_RUNNING') throw new CommandError(error.message);
          throw error;
        }
        process.stdout.write(describePlan(done, 'done'));
        process.stdout.write(
          `the next worker starts from the ${app.settings.autoOffsetReset} offsets of the input topics${
            app.tables.length ? `; on other machines that ran workers, delete ${done.stateDir} too` : ''
          }\n`,
        );
      } finally {
        await app.stop();
      }
    },
  };
}
