import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, renameSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import wavefile from 'wavefile';
import type { PromptCatalog } from '../../domain/ivr/flow.js';

/**
 * Prompts as sound: each text is rendered once with espeak-ng (a voice per
 * language) and resampled by sox to 8 kHz, mono, 16-bit WAV — what rtpengine
 * plays into a call. Files are named by a hash of voice and text, so a
 * changed text is a new file and nothing is rendered twice; they live under
 * the data directory and are never committed. Texts may hold {name}
 * placeholders (a queue position), rendered on demand the same way.
 */

const run = promisify(execFile);
const VOICES: Readonly<Record<string, string>> = { en: 'en-us', es: 'es-419' };
export type Language = 'en' | 'es';

/** Where a session gets the sound of a prompt: a rendered WAV file (SIP), or just its words (the simulator). */
export type PromptSource = { file(id: string, language: Language, params?: Record<string, string | number>): Promise<string> };

/** The words of each prompt as a pseudo-file (`text:<language>:<words>`), nothing rendered: for the simulator, which has no media. */
export class SpokenTextPrompts implements PromptSource {
  constructor(readonly catalog: PromptCatalog) {}
  async file(id: string, language: Language, params: Record<string, string | number> = {}): Promise<string> {
    const entry = this.catalog[id];
    if (!entry) throw new Error(`unknown prompt "${id}"`);
    return `text:${language}:${(entry[language] ?? entry.en).replace(/\{(\w+)\}/g, (_, name: string) => String(params[name] ?? ''))}`;
  }
}

export class PromptLibrary implements PromptSource {
  private readonly rendering = new Map<string, Promise<string>>();

  constructor(
    readonly catalog: PromptCatalog,
    readonly dir: string,
  ) {
    mkdirSync(dir, { recursive: true });
  }

  /** Checks that espeak-ng and sox are installed; the error names the Debian packages. */
  static async checkTools(): Promise<void> {
    for (const [tool, pkg] of [
      ['espeak-ng', 'espeak-ng'],
      ['sox', 'sox'],
    ] as const) {
      try {
        await run(tool, ['--version']);
      } catch {
        throw new Error(`${tool} is not installed: telephony prompts need it (Debian package ${pkg}).`);
      }
    }
  }

  text(id: string, language: Language, params: Record<string, string | number> = {}): string {
    const entry = this.catalog[id];
    if (!entry) throw new Error(`unknown prompt "${id}"`);
    const template = entry[language] ?? entry.en;
    return template.replace(/\{(\w+)\}/g, (_, name: string) => String(params[name] ?? ''));
  }

  /** The WAV file for a prompt in a language, rendered if it is not there yet. */
  file(id: string, language: Language, params: Record<string, string | number> = {}): Promise<string> {
    return this.render(this.text(id, language, params), language);
  }

  render(text: string, language: Language): Promise<string> {
    const voice = VOICES[language] ?? 'en-us';
    const target = this.target(text, language);
    if (existsSync(target)) return Promise.resolve(target);
    let pending = this.rendering.get(target);
    if (!pending) {
      pending = (async () => {
        const raw = `${target}.${process.pid}.raw.wav`;
        const tmp = `${target}.${process.pid}.tmp.wav`;
        await run('espeak-ng', ['-v', voice, '-s', '150', '-w', raw, text]);
        await run('sox', [raw, '-r', '8000', '-c', '1', '-b', '16', tmp]);
        renameSync(tmp, target);
        await run('rm', ['-f', raw]);
        return target;
      })().finally(() => this.rendering.delete(target));
      this.rendering.set(target, pending);
    }
    return pending;
  }

  private target(text: string, language: Language): string {
    const voice = VOICES[language] ?? 'en-us';
    return path.join(this.dir, `${language}-${createHash('sha256').update(`${voice}\n${text}`).digest('hex').slice(0, 20)}.wav`);
  }

  /** Renders every catalogue prompt in every language (at set-up), returning how many were new. */
  async renderAll(): Promise<number> {
    let made = 0;
    for (const [id, texts] of Object.entries(this.catalog)) {
      for (const language of ['en', 'es'] as const) {
        if (/\{\w+\}/.test(texts[language] ?? '')) continue; // templates render at play time
        const text = this.text(id, language);
        if (!existsSync(this.target(text, language))) made += 1;
        await this.render(text, language);
      }
    }
    return made;
  }
}

/** A prompt's samples (8 kHz, mono, 16-bit, as rendered above), for audio the conference mixes in itself. */
export async function readPcm(file: string): Promise<Int16Array> {
  const wav = new wavefile.WaveFile(await readFile(file));
  return Int16Array.from(wav.getSamples(false, Int16Array) as unknown as ArrayLike<number>);
}
