import { PDFDocument, type PDFFont, StandardFonts } from 'pdf-lib';
import { type Actor, authorize } from '../domain/access/access-control.js';
import { centerToday } from '../domain/calendar/calendar-day.js';
import { AppError } from '../domain/errors/app-error.js';
import { redactSponsors } from '../domain/safeguards/sponsor-shield.js';
import { caseSubjectIds, findCase, personCluster, survivorOf } from '../storage/repositories/case.repository.js';
import * as referrals from '../storage/repositories/referral.repository.js';
import { ageVerdictsOf } from './age.service.js';
import { appendAudit, type RequestContext } from './audit.service.js';
import { askPurpose, purposeAudit, type Stated } from './purpose-of-use.service.js';
import { loadReferralFor, type ReferralDeps } from './referral.service.js';
import { shieldFor } from './sponsor-shield.service.js';

/**
 * The referral packet a field office receives: the case in brief, its
 * persons, their locations with where each came from and how it was graded,
 * and the reports' contents — never who reported. Reporter names, phones,
 * e-mails, badges and agencies do not enter the packet at all, so no
 * presentation can leak them. Identifiers appear for viewers with
 * person:identifiers (field officers have it).
 */

type ActorCtx = RequestContext & { actor: Actor };

export type ReferralPacket = {
  packetVersion: 1;
  generatedAt: string;
  referral: {
    reference: string;
    purpose: string;
    status: string;
    fieldOfficeCode: string;
    fieldOffice: string;
    officeBasis: string;
    sentAt: string | null;
  };
  case: { caseNumber: string; type: string; priority: string; summary: string; areaOfResponsibility: string | null; openedAt: string };
  safeguards: { decision: string; reasons: string[]; legalReview: { decision: string; at: string } | null };
  persons: {
    personId: string;
    names: { givenNames: string; familyName1: string; familyName2: string | null; kind: string }[];
    dob: string | null;
    dobBasis: string;
    isMinor: boolean | 'unknown';
    sex: string;
    nationalities: string[];
    languages: string[];
    identifiers?: { kind: string; value: string; issuer: string | null }[];
  }[];
  locations: {
    personId: string;
    address: string;
    precision: string;
    latitude: number | null;
    longitude: number | null;
    observedAt: string;
    reportedAt: string;
    confidence: string;
    verified: boolean;
    source: { reportReference: string | null; sourceCategory: string | null; grading: string | null };
  }[];
  reports: { reference: string; sourceCategory: string; grading: string; receivedAt: string; language: string; narrative: string }[];
  notice: string;
};

const NOTICE =
  'Reporter identity is withheld under tip-line confidentiality. Narratives are as recorded at intake. Locations are observations with their source and grading, not verified facts unless marked verified.';

const SPONSOR_NOTICE = "A child's sponsor is withheld from this packet under the sponsor protection rule.";

/**
 * A packet about a child (or a person of unknown age, or a UAC case) reveals
 * the child's identity: it needs a stated purpose of use, kept in the audit,
 * whoever reads it — the field officer who received it included.
 */
export async function buildPacket(
  deps: ReferralDeps,
  ctx: ActorCtx,
  referralId: string,
  format: 'json' | 'pdf',
  stated: Stated = {},
): Promise<ReferralPacket> {
  const result = await deps.db.transaction().execute(async (trx) => {
    const row = await loadReferralFor(trx, deps, ctx, referralId, 'referral.packet');
    if (!row) return undefined;
    const kase = await findCase(trx, row.case_id);
    if (!kase) throw new AppError('internal', 'The referral names a case that is not on record.');
    const subjects = await caseSubjectIds(trx, row.case_id);
    const ages = await ageVerdictsOf(trx, subjects, centerToday(ctx));
    const asked = await askPurpose(
      trx,
      ctx,
      {
        action: 'referral.packet',
        resourceType: 'referral',
        resourceId: referralId,
        aboutChild: kase.unit === 'uac' || [...ages.values()].some((v) => v.minor !== false),
        what: 'This referral packet',
      },
      stated,
    );
    if ('error' in asked) return { error: asked.error };
    const office = await referrals.fieldOfficeName(trx, row.field_office_code);
    const showIdentifiers = authorize(deps.permissions, ctx.actor, 'person:identifiers').allowed;
    const persons: ReferralPacket['persons'] = [];
    const locations: ReferralPacket['locations'] = [];
    // Sponsors are protected: one no legal reviewer approved naming in this referral is not in its packet — not as a
    // person, not by their locations, not by name or phone in any of its words (services/sponsor-shield.service.ts).
    const shielded = await shieldFor(trx, row.case_id, { referralId });
    const withheldIds = new Set(shielded.map((s) => s.personId));
    const words = (text: string) => redactSponsors(text, shielded);
    let withheld = 0;
    for (const subjectId of subjects) {
      const ids = await personCluster(trx, subjectId);
      if (withheldIds.has(await survivorOf(trx, subjectId)) || ids.some((id) => withheldIds.has(id))) {
        withheld += 1;
        continue;
      }
      const records = await referrals.personsByIds(trx, ids);
      const main = records.find((r) => r.id === subjectId);
      if (!main) continue;
      const { names: others, identifiers } = await referrals.namesAndIdentifiersOf(trx, ids);
      persons.push({
        personId: main.id,
        names: [
          { givenNames: main.given_names, familyName1: main.family_name_1, familyName2: main.family_name_2, kind: 'primary' },
          ...records
            .filter((r) => r.id !== main.id)
            .map((r) => ({ givenNames: r.given_names, familyName1: r.family_name_1, familyName2: r.family_name_2, kind: 'merged record' })),
          ...others.map((n) => ({ givenNames: n.given_names, familyName1: n.family_name_1, familyName2: n.family_name_2, kind: n.kind })),
        ],
        dob: main.dob,
        dobBasis: main.dob_basis,
        isMinor: ages.get(subjectId)?.minor ?? 'unknown',
        sex: main.sex,
        nationalities: main.nationalities,
        languages: main.languages,
        ...(showIdentifiers
          ? {
              identifiers: [
                ...records.filter((r) => r.a_number).map((r) => ({ kind: 'a_number', value: `A${r.a_number}`, issuer: null })),
                ...identifiers.map((i) => ({ kind: i.kind, value: i.value, issuer: i.issuer })),
              ],
            }
          : {}),
      });
      const observed = await referrals.locationsWithSourceOf(trx, ids, 50);
      for (const l of observed) {
        locations.push({
          personId: main.id,
          address: [l.line1, l.city, l.county ? `${l.county} County` : null, l.state, l.zip].filter(Boolean).join(', '),
          precision: l.precision,
          latitude: l.latitude,
          longitude: l.longitude,
          observedAt: l.observed_at.toISOString(),
          reportedAt: l.reported_at.toISOString(),
          confidence: l.confidence,
          verified: l.verified_at !== null,
          source: {
            reportReference: l.reference,
            sourceCategory: l.source,
            grading: l.source_reliability ? `${l.source_reliability}${l.information_credibility}` : null,
          },
        });
      }
    }
    // Only the content of reports: the reporter_* columns are not even selected.
    const reports = await referrals.reportContentsOfCase(trx, row.case_id);
    const review = await referrals.latestReviewEvent(trx, referralId);
    const gate = (row.gate ?? null) as { decision: string; reasons: { message: string }[] } | null;
    await appendAudit(trx, ctx, {
      action: 'referral.packet',
      outcome: 'allowed',
      resourceType: 'referral',
      resourceId: referralId,
      purpose: purposeAudit(asked.purpose).purpose,
      details: { format, ...purposeAudit(asked.purpose).details, ...(withheld > 0 ? { sponsorsWithheld: withheld } : {}) },
    });
    const packet: ReferralPacket = {
      packetVersion: 1,
      generatedAt: ctx.now.toISOString(),
      referral: {
        reference: row.reference,
        purpose: row.purpose,
        status: row.status,
        fieldOfficeCode: row.field_office_code,
        fieldOffice: office?.name ?? row.field_office_code,
        officeBasis: row.office_basis,
        sentAt: row.sent_at?.toISOString() ?? null,
      },
      case: {
        caseNumber: kase.case_number,
        type: kase.type,
        priority: kase.priority,
        summary: words(kase.summary),
        areaOfResponsibility: kase.aor_office_code,
        openedAt: kase.created_at.toISOString(),
      },
      safeguards: {
        decision: gate?.decision ?? 'not evaluated',
        reasons: gate?.reasons.map((r) => words(r.message)) ?? [],
        legalReview: review ? { decision: review.kind === 'review_approved' ? 'approved' : 'denied', at: review.at.toISOString() } : null,
      },
      persons,
      locations,
      reports: reports.map((r) => ({
        reference: r.reference,
        sourceCategory: r.source,
        grading: `${r.source_reliability}${r.information_credibility}`,
        receivedAt: r.received_at.toISOString(),
        language: r.language,
        narrative: words(r.narrative),
      })),
      notice: withheld > 0 || shielded.length > 0 ? `${NOTICE} ${SPONSOR_NOTICE}` : NOTICE,
    };
    return packet;
  });
  if (!result) throw new AppError('not_found', 'There is no such referral.');
  if ('error' in result) throw result.error;
  return result;
}

/** Standard PDF fonts speak WinAnsi: keep Latin-1 letters (Spanish accents), replace the rest. */
const winAnsi = (s: string) =>
  s
    .normalize('NFC')
    .replace(/[\u2018\u2019]/g, "'")
    .replace(/[\u201C\u201D]/g, '"')
    .replace(/[\u2013\u2014]/g, '-')
    .replace(/[^\n\x20-\x7E\xA0-\xFF]/g, '?');

function wrap(text: string, font: PDFFont, size: number, width: number): string[] {
  const lines: string[] = [];
  for (const paragraph of winAnsi(text).split('\n')) {
    let line = '';
    for (const word of paragraph.split(/\s+/)) {
      const next = line ? `${line} ${word}` : word;
      if (font.widthOfTextAtSize(next, size) > width && line) {
        lines.push(line);
        line = word;
      } else line = next;
    }
    lines.push(line);
  }
  return lines;
}

export async function renderPacketPdf(packet: ReferralPacket): Promise<Uint8Array> {
  const pdf = await PDFDocument.create();
  pdf.setTitle(`Referral ${packet.referral.reference}`);
  pdf.setCreator('Switchboard');
  pdf.setCreationDate(new Date(packet.generatedAt));
  pdf.setModificationDate(new Date(packet.generatedAt));
  const regular = await pdf.embedFont(StandardFonts.Helvetica);
  const bold = await pdf.embedFont(StandardFonts.HelveticaBold);
  const margin = 50;
  let page = pdf.addPage([612, 792]);
  let y = 792 - margin;
  const width = 612 - 2 * margin;
  const write = (text: string, opts: { size?: number; font?: PDFFont; gap?: number } = {}) => {
    const size = opts.size ?? 10;
    const font = opts.font ?? regular;
    for (const line of wrap(text, font, size, width)) {
      if (y < margin + size) {
        page = pdf.addPage([612, 792]);
        y = 792 - margin;
      }
      page.drawText(line, { x: margin, y, size, font });
      y -= size * 1.35;
    }
    y -= opts.gap ?? 0;
  };
  const heading = (text: string) => write(text, { size: 13, font: bold, gap: 2 });
  write(`Referral ${packet.referral.reference} to ${packet.referral.fieldOffice} (${packet.referral.fieldOfficeCode})`, {
    size: 16,
    font: bold,
    gap: 4,
  });
  write(
    `Purpose: ${packet.referral.purpose}   Status: ${packet.referral.status}   Sent: ${packet.referral.sentAt ?? '-'}   Office basis: ${packet.referral.officeBasis}`,
  );
  write(`Generated ${packet.generatedAt}`, { gap: 8 });
  heading(`Case ${packet.case.caseNumber}`);
  write(
    `Type: ${packet.case.type}   Priority: ${packet.case.priority}   Area of responsibility: ${packet.case.areaOfResponsibility ?? '-'}   Opened: ${packet.case.openedAt}`,
  );
  write(packet.case.summary, { gap: 8 });
  heading('Safeguards');
  write(
    `Gate: ${packet.safeguards.decision}${packet.safeguards.legalReview ? `; legal review ${packet.safeguards.legalReview.decision} ${packet.safeguards.legalReview.at}` : ''}`,
  );
  for (const r of packet.safeguards.reasons) write(`- ${r}`);
  y -= 8;
  heading('Persons');
  for (const p of packet.persons) {
    const [primary, ...aka] = p.names;
    write(`${primary ? `${primary.givenNames} ${primary.familyName1} ${primary.familyName2 ?? ''}`.trim() : p.personId}`, { font: bold });
    write(
      `DOB ${p.dob ?? 'unknown'} (${p.dobBasis})${p.isMinor === true ? ' - MINOR' : p.isMinor === 'unknown' ? ' - age unknown' : ''}   Sex: ${p.sex}   Nationality: ${p.nationalities.join(', ') || '-'}   Languages: ${p.languages.join(', ') || '-'}`,
    );
    if (aka.length > 0)
      write(`Also known as: ${aka.map((n) => `${n.givenNames} ${n.familyName1} ${n.familyName2 ?? ''}`.trim()).join('; ')}`);
    if (p.identifiers && p.identifiers.length > 0)
      write(`Identifiers: ${p.identifiers.map((i) => `${i.kind} ${i.value}${i.issuer ? ` (${i.issuer})` : ''}`).join('; ')}`);
    y -= 6;
  }
  heading('Locations (observations, newest first)');
  for (const l of packet.locations) {
    write(`${l.address} - precision ${l.precision}${l.verified ? ', VERIFIED' : ''}`, { font: bold });
    write(
      `Observed ${l.observedAt}; reported ${l.reportedAt}; confidence ${l.confidence}; source ${l.source.reportReference ?? '-'} (${l.source.sourceCategory ?? '-'}, grading ${l.source.grading ?? '-'})`,
      { gap: 4 },
    );
  }
  y -= 4;
  heading('Reports');
  for (const r of packet.reports) {
    write(`${r.reference} - ${r.sourceCategory}, grading ${r.grading}, received ${r.receivedAt}, language ${r.language}`, { font: bold });
    write(r.narrative, { gap: 6 });
  }
  y -= 4;
  write(packet.notice, { size: 8 });
  return pdf.save();
}
