import type { z } from 'zod';
import type { ZCasePage, ZCaseSummary, ZCaseView, ZGate, ZReferral, ZReferralCreate } from './cases.js';
import type { ZAgeDeterminationBody, ZAgeDeterminationResult, ZLocationObservation, ZPerson, ZPersonHit, ZPersonHits } from './persons.js';

/**
 * The response (and request) shapes the web app reads and sends, named once and derived from the schemas the
 * server validates and documents with, so the web app declares none of its own. Types only: importing this
 * module brings no zod code into the browser bundle.
 */

export type CaseSummary = z.infer<typeof ZCaseSummary>;
export type CasePage = z.infer<typeof ZCasePage>;
export type CaseView = z.infer<typeof ZCaseView>;
export type LocationObservation = z.infer<typeof ZLocationObservation>;
export type Gate = z.infer<typeof ZGate>;
export type GateReason = Gate['reasons'][number];
export type Referral = z.infer<typeof ZReferral>;
export type ReferralCreate = z.input<typeof ZReferralCreate>;

export type PersonView = z.infer<typeof ZPerson>;
export type PersonHit = z.infer<typeof ZPersonHit>;
export type PersonHits = z.infer<typeof ZPersonHits>;
export type AgeDeterminationBody = z.input<typeof ZAgeDeterminationBody>;
export type AgeDeterminationResult = z.infer<typeof ZAgeDeterminationResult>;
