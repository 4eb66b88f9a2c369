import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { checkFlow, type Flow, FlowError, type PromptCatalog, parsePrompts } from '../domain/ivr/flow.js';

/**
 * Reads the IVR flows from disk (reference/ivr/*.json): the files are read here, their content is checked by the
 * pure flow schema in src/domain/ivr/flow.ts.
 */

export function loadPrompts(file: string): PromptCatalog {
  return parsePrompts(file, JSON.parse(readFileSync(file, 'utf8')) as unknown);
}

/** Every flow in a directory (prompts.json is the catalogue); one line per number. */
export function loadFlows(dir: string): { flows: Map<string, Flow>; prompts: PromptCatalog } {
  const prompts = loadPrompts(path.join(dir, 'prompts.json'));
  const flows = new Map<string, Flow>();
  for (const name of readdirSync(dir).sort()) {
    if (!name.endsWith('.json') || name === 'prompts.json') continue;
    const file = path.join(dir, name);
    let raw: unknown;
    try {
      raw = JSON.parse(readFileSync(file, 'utf8'));
    } catch (error) {
      throw new FlowError(file, [`not valid JSON: ${(error as Error).message}`]);
    }
    const flow = checkFlow(file, raw, prompts);
    if (flows.has(flow.line)) throw new FlowError(file, [`line: ${flow.line} already has a flow`]);
    flows.set(flow.line, flow);
  }
  return { flows, prompts };
}
