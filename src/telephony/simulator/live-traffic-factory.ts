import path from 'node:path';
import type { RoutingService } from '../../services/routing.service.js';
import type { LiveTrafficRun, StartLiveTrafficInput } from '../../services/simulation-control.js';
import type { Db } from '../../storage/database.js';
import { packageRoot } from '../../storage/paths.js';
import { CallControl } from '../call-control.js';
import { loadFlows } from '../ivr/flow.js';
import { SpokenTextPrompts } from '../media/prompts.js';
import { LiveTraffic } from './live-traffic.js';

/**
 * Builds live synthetic traffic for the simulation control service (which may not import telephony: the composition
 * root hands it this factory). Synthetic callers go through call control and the real IVR flows (words, not sound: the
 * simulator has no media).
 */
export function liveTrafficFactory(deps: {
  db: Db;
  routing: RoutingService;
  timeZone: string;
}): (input: StartLiveTrafficInput) => LiveTrafficRun {
  return ({ params, context, onError }) => {
    const { flows, prompts } = loadFlows(path.join(packageRoot(), 'reference', 'ivr'));
    const calls = new CallControl({
      db: deps.db,
      routing: deps.routing,
      prompts: new SpokenTextPrompts(prompts),
      flows,
      node: 'simulator',
      clock: () => new Date(),
      timeZone: deps.timeZone,
      log: () => undefined,
    });
    calls.start();
    return new LiveTraffic(deps.routing, params, context, onError, calls);
  };
}
