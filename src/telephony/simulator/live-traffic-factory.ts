import type { CallRecordService } from '../../services/call-record.service.js';
import type { RoutingService } from '../../services/routing.service.js';
import type { LiveTrafficRun, StartLiveTrafficInput } from '../../services/simulation-control.js';
import { CallControl } from '../call-control.js';
import { loadFlows } from '../ivr-flows.js';
import { SpokenTextPrompts } from '../media/prompts.js';
import { LiveTraffic } from './live-traffic.js';

/**
 * Builds live synthetic traffic for the simulation control service (which may not import telephony: the composition
 * root hands it this factory). Synthetic callers go through call control and the real IVR flows (words, not sound: the
 * simulator has no media).
 */
export function liveTrafficFactory(deps: {
  calls: CallRecordService;
  routing: RoutingService;
  timeZone: string;
  /** reference/ivr: the flows and prompts the live callers go through. */
  flowsDir: string;
}): (input: StartLiveTrafficInput) => LiveTrafficRun {
  return ({ params, context, onError }) => {
    const { flows, prompts } = loadFlows(deps.flowsDir);
    const calls = new CallControl({
      calls: deps.calls,
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
