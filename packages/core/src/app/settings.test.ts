import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { closestName } from '../errors/closest-name.js';
import { isStromError } from '../errors/errors.js';
import { App } from './app.js';
import type { AppOptions } from './settings.js';
import { resolveSettings } from './settings.js';

/** The ConfigError message `new App(options)` throws (fails the test if it does not throw one). */
function configError(options: Record<string, unknown>): string {
  try {
    new App(options as AppOptions);
  } catch (error) {
    expect(isStromError(error) && error.code).toBe('CONFIG');
    return (error as Error).message;
  }
  throw new Error('new App() did not throw');
}

describe('settings', () => {
  // the caller's shell must not decide these tests: clear every STROM_* variable
  beforeEach(() => {
    for (const name of Object.keys(process.env)) if (name.startsWith('STROM_')) vi.stubEnv(name, undefined);
  });
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it('rejects bad values with a message that says what to fix', () => {
    expect(configError({ id: 'has space' })).toMatch(/^App id: use letters, digits/);
    expect(configError({ id: 'ok', broker: 'nohost' })).toBe(
      'broker "nohost" is not host:port (e.g. localhost:9092)',
    );
    expect(configError({ id: 'ok', heartbeatIntervalMs: 20_000, sessionTimeoutMs: 10_000 })).toMatch(
      /heartbeatIntervalMs must be below sessionTimeoutMs/,
    );
  });

  it('an unknown App option is a one-line error naming the closest setting', () => {
    expect(configError({ id: 'ok', sessionTimeout: 6000 })).toBe(
      'unknown setting "sessionTimeout": did you mean "sessionTimeoutMs"?',
    );
    expect(configError({ id: 'ok', brokers: ['a:1'] })).toBe(
      'unknown setting "brokers": did you mean "broker"?',
    );
    // names from Kafka and Faust
    expect(configError({ id: 'ok', 'session.timeout.ms': 6000 })).toBe(
      'unknown setting "session.timeout.ms": did you mean "sessionTimeoutMs"?',
    );
    expect(configError({ id: 'ok', topic_partitions: 4 })).toBe(
      'unknown setting "topic_partitions": did you mean "topicPartitions"?',
    );
    expect(configError({ id: 'ok', 'bootstrap.servers': 'a:1' })).toBe(
      'unknown setting "bootstrap.servers": did you mean "broker"?',
    );
    // an undefined value is still a typo
    expect(configError({ id: 'ok', logLevl: undefined })).toBe(
      'unknown setting "logLevl": did you mean "logLevel"?',
    );
    const far = configError({ id: 'ok', stream_wait_empty: false });
    expect(far).toMatch(/^unknown setting "stream_wait_empty": the settings are id, broker, kafka, /);
    expect(far).not.toContain('\n');
    expect(configError({ id: 'ok', acks: 1, sessionTimeout: 6000, stateDirectory: 'x' })).toBe(
      'unknown setting "sessionTimeout": did you mean "sessionTimeoutMs"?; ' +
        'unknown setting "stateDirectory": did you mean "stateDir"?',
    );
  });

  it('an unknown STROM_* variable is an error naming the closest variable or the setting', () => {
    vi.stubEnv('STROM_BROKERS', 'localhost:9092');
    expect(configError({ id: 'ok' })).toBe(
      'unknown environment variable STROM_BROKERS: did you mean STROM_BROKER?',
    );
    vi.stubEnv('STROM_BROKERS', undefined);
    vi.stubEnv('STROM_SESSION_TIMEOUT_MS', '6000');
    expect(configError({ id: 'ok' })).toBe(
      'unknown environment variable STROM_SESSION_TIMEOUT_MS: only STROM_BROKER and STROM_LOG_LEVEL set App ' +
        'settings; set "sessionTimeoutMs" in new App({ ... })',
    );
    vi.stubEnv('STROM_SESSION_TIMEOUT_MS', undefined);
    vi.stubEnv('STROM_LOG_LEVEL', 'verbose');
    expect(configError({ id: 'ok' })).toMatch(/^STROM_LOG_LEVEL "verbose" is not a log level: use trace, /);
  });

  it('the known variables set their settings', () => {
    vi.stubEnv('STROM_BROKER', 'kafka-1:9092,kafka-2:9092');
    vi.stubEnv('STROM_LOG_LEVEL', 'warn');
    const app = new App({ id: 'ok', broker: 'localhost:9092' });
    expect(app.settings.brokers).toEqual(['kafka-1:9092', 'kafka-2:9092']);
    expect(app.log.level).toBe('warn');
    expect(resolveSettings({ id: 'ok' }).sessionTimeoutMs).toBe(10_000);
  });
});

describe('closestName', () => {
  const known = ['broker', 'sessionTimeoutMs', 'stateDir', 'standbys'];

  it('finds a name up to case and separators, then by alias, then by a few edits', () => {
    expect(closestName('SESSION_TIMEOUT_MS', known)).toBe('sessionTimeoutMs');
    expect(closestName('bootstrap.servers', known, { 'bootstrap.servers': 'broker' })).toBe('broker');
    expect(closestName('brokr', known)).toBe('broker');
    expect(closestName('standby', known)).toBe('standbys');
    expect(closestName('stateDirectory', known)).toBe('stateDir');
  });

  it('names nothing when every known name is far', () => {
    expect(closestName('zzz', known)).toBeUndefined();
    expect(closestName('streamWaitEmpty', known)).toBeUndefined();
    // an alias to a name that is not known is ignored
    expect(closestName('bootstrap.servers', ['id'], { 'bootstrap.servers': 'broker' })).toBeUndefined();
  });
});
