import type { Agent } from '../agents/agent.js';
import type { Channel } from '../streams/channel.js';
import type { Topic } from '../topics/topic.js';

interface Subscriber {
  agent: Agent;
  /** One channel per actor; partition p goes to actor p % channels.length. */
  channels: Channel[];
}

export interface Route {
  topic: Topic;
  subscribers: Subscriber[];
}

/** Which channels receive the records of each subscribed topic and partition. */
export class Router {
  private readonly routes = new Map<string, Route>();

  add(topic: Topic, agent: Agent, actorIndex: number, channel: Channel): void {
    let route = this.routes.get(topic.name);
    if (!route) {
      route = { topic, subscribers: [] };
      this.routes.set(topic.name, route);
    }
    let subscriber = route.subscribers.find((s) => s.agent === agent);
    if (!subscriber) {
      subscriber = { agent, channels: [] };
      route.subscribers.push(subscriber);
    }
    subscriber.channels[actorIndex] = channel;
  }

  get(topic: string): Route | undefined {
    return this.routes.get(topic);
  }

  /** The channels (one per subscribing agent) that get records of `partition`. */
  channelsFor(route: Route, partition: number): Channel[] {
    return route.subscribers.map((s) => s.channels[partition % s.channels.length]!);
  }

  topics(): Topic[] {
    return [...this.routes.values()].map((r) => r.topic);
  }
}
