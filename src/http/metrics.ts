import type { FastifyInstance } from 'fastify';
import type pg from 'pg';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/** Prometheus metrics, one registry per app instance (tests build many apps in one process). */
export type Metrics = { registry: Registry };

/** What the metrics read of the routing engine (the RoutingService). */
type RoutingView = {
  engine: { allTasks(): Iterable<{ status: string }>; allWorkers(): Iterable<{ activity: string }> };
  clusterState(): { leader: boolean; epoch: number | null; lastSeq: string };
  fencedTicks: number;
};

export function installMetrics(app: FastifyInstance, pool: pg.Pool, routing?: RoutingView): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'switchboard_' });
  const requests = new Counter({
    name: 'switchboard_http_requests_total',
    help: 'HTTP requests by method, route pattern and status',
    labelNames: ['method', 'route', 'status'],
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'switchboard_http_request_duration_seconds',
    help: 'HTTP request duration by method and route pattern',
    labelNames: ['method', 'route'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  new Gauge({
    name: 'switchboard_db_pool_connections',
    help: 'Database pool connections by state',
    labelNames: ['state'],
    registers: [registry],
    collect() {
      this.set({ state: 'total' }, pool.totalCount);
      this.set({ state: 'idle' }, pool.idleCount);
      this.set({ state: 'waiting' }, pool.waitingCount);
    },
  });
  if (routing) installRoutingMetrics(registry, routing);
  app.addHook('onResponse', async (request, reply) => {
    // The route pattern, never the raw URL: URLs can carry identifiers.
    const route = request.routeOptions.url ?? 'unmatched';
    requests.inc({ method: request.method, route, status: String(reply.statusCode) });
    duration.observe({ method: request.method, route }, reply.elapsedTime / 1000);
  });
  return { registry };
}

/**
 * The routing engine as this node holds it: tasks by status, agents by activity, the node's place in the cluster
 * and how far it has applied the log. Two nodes that agree show the same figures; counts only, no ids.
 */
function installRoutingMetrics(registry: Registry, routing: RoutingView): void {
  new Gauge({
    name: 'switchboard_routing_tasks',
    help: "Tasks in this node's routing engine by status (ended ones for two days)",
    labelNames: ['status'],
    registers: [registry],
    collect() {
      this.reset();
      for (const task of routing.engine.allTasks()) this.inc({ status: task.status });
    },
  });
  new Gauge({
    name: 'switchboard_routing_agents',
    help: "Agents in this node's routing engine by activity",
    labelNames: ['activity'],
    registers: [registry],
    collect() {
      this.reset();
      for (const worker of routing.engine.allWorkers()) this.inc({ activity: worker.activity });
    },
  });
  new Gauge({
    name: 'switchboard_routing_leader',
    help: 'Whether this node leads the routing engine (fires its timers, runs the jobs): 1 or 0',
    registers: [registry],
    collect() {
      this.set(routing.clusterState().leader ? 1 : 0);
    },
  });
  new Gauge({
    name: 'switchboard_routing_lease_epoch',
    help: 'The routing lease epoch this node holds or last held (0: never)',
    registers: [registry],
    collect() {
      this.set(routing.clusterState().epoch ?? 0);
    },
  });
  new Gauge({
    name: 'switchboard_routing_log_position',
    help: 'The last command of the routing log this node has applied',
    registers: [registry],
    collect() {
      this.set(Number(routing.clusterState().lastSeq));
    },
  });
  new Gauge({
    name: 'switchboard_routing_fenced_ticks',
    help: 'Timer ticks this node tried after its lease was taken over, refused by fencing (since start)',
    registers: [registry],
    collect() {
      this.set(routing.fencedTicks);
    },
  });
}
