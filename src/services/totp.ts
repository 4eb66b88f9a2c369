import { generate, generateSecret, generateURI, verify } from 'otplib';
import QRCode from 'qrcode';

/**
 * TOTP (RFC 6238: SHA-1, 6 digits, 30 s) as every authenticator app speaks
 * it. A code is accepted in its own period and the one before (a code typed as
 * the period turns), never twice: the last accepted time step is kept and
 * anything at or before it is refused.
 */

export const ISSUER = 'Switchboard';

export const newTotpSecret = (): string => generateSecret();

export const totpUri = (secret: string, username: string): string => generateURI({ issuer: ISSUER, label: username, secret });

export const qrSvg = (uri: string): Promise<string> => QRCode.toString(uri, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 });

export const totpCode = (secret: string, now: Date): Promise<string> => generate({ secret, epoch: Math.floor(now.getTime() / 1000) });

export type TotpCheck = { valid: true; timeStep: number } | { valid: false; reason: 'wrong' | 'reused' };

export async function checkTotp(secret: string, code: string, now: Date, lastStep: number | null): Promise<TotpCheck> {
  if (!/^\d{6}$/.test(code)) return { valid: false, reason: 'wrong' };
  const epoch = Math.floor(now.getTime() / 1000);
  const result = await verify({ secret, token: code, epoch, epochTolerance: [30, 0] });
  if (!result.valid || !('timeStep' in result)) return { valid: false, reason: 'wrong' };
  if (lastStep !== null && result.timeStep <= lastStep) return { valid: false, reason: 'reused' };
  return { valid: true, timeStep: result.timeStep };
}
