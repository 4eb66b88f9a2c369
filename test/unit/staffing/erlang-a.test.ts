import { describe, expect, it } from 'vitest';
import { simulate } from '../../../src/domain/routing/simulator.js';
import { averageSpeedOfAnswer, erlangC, serviceLevel } from '../../../src/domain/staffing/erlang.js';
import { erlangA } from '../../../src/domain/staffing/erlang-a.js';

/** 10 Erlangs: 200 calls an hour, AHT 180 s. */
const tenErlangs = (patienceSeconds: number | null) => ({ arrivalRate: 10 / 180, ahtSeconds: 180, patienceSeconds });

describe('Erlang C (kept)', () => {
  it('gives the classic A = 10 Erl, N = 14, AHT 180 s, T = 20 s → SL 0.888', () => {
    expect(serviceLevel(14, 10, 180, 20)).toBeCloseTo(0.888, 3);
    expect(erlangA(14, tenErlangs(null), 20).serviceLevel).toBeCloseTo(0.888, 3);
  });
});

describe('Erlang A', () => {
  it('tends to Erlang C as patience grows', () => {
    const c = { wait: erlangC(14, 10), sl: serviceLevel(14, 10, 180, 20), asa: averageSpeedOfAnswer(14, 10, 180) };
    let previousGap = Number.POSITIVE_INFINITY;
    for (const patience of [600, 3600, 36_000, 1e6, 1e9]) {
      const a = erlangA(14, tenErlangs(patience), 20);
      const gap = Math.abs(a.serviceLevel - c.sl) + Math.abs(a.waitProbability - c.wait) + a.abandonProbability;
      expect(gap).toBeLessThan(previousGap);
      previousGap = gap;
    }
    const patient = erlangA(14, tenErlangs(1e9), 20);
    expect(patient.serviceLevel).toBeCloseTo(0.888, 3);
    expect(patient.waitProbability).toBeCloseTo(0.1741, 4);
    expect(patient.asaSeconds).toBeCloseTo(7.836, 2);
    expect(patient.abandonProbability).toBeLessThan(1e-7);
  });

  it('is the M/M/∞ queue when patience equals the handle time (θ = μ)', () => {
    // With θ = μ every call leaves at the same rate whether served or waiting, so the number in the system is
    // Poisson(A) (Garnett, Mandelbaum & Reiman 2002, §2; Mandelbaum & Zeltyn's Erlang-A notes): here A = 10, N = 14
    // gives P(wait) = P(X ≥ 14) = 0.135536 and P(abandon) = E[(X − 14)⁺] / A = 0.018694.
    let pk = Math.exp(-10);
    let below = 0;
    let excess = 0;
    for (let k = 0; k < 200; k++) {
      if (k < 14) below += pk;
      else excess += (k - 14) * pk;
      pk = (pk * 10) / (k + 1);
    }
    const a = erlangA(14, tenErlangs(180), 20);
    expect(1 - below).toBeCloseTo(0.135536, 5);
    expect(excess / 10).toBeCloseTo(0.018694, 5);
    expect(a.waitProbability).toBeCloseTo(1 - below, 9);
    expect(a.abandonProbability).toBeCloseTo(excess / 10, 9);
  });

  it('stays stable with fewer agents than Erlangs, where Erlang C has no answer', () => {
    const a = erlangA(8, tenErlangs(120), 20);
    expect(serviceLevel(8, 10, 180, 20)).toBe(0);
    expect(a.abandonProbability).toBeGreaterThan(0.2);
    expect(a.abandonProbability).toBeLessThan(1);
    expect(a.serviceLevel).toBeGreaterThan(0);
    expect(a.serviceLevel).toBeLessThan(0.5);
    // Answered + abandoned = everyone: the answer rate is what the agents serve, λ(1 − P(ab)) = busy agents × μ < N μ.
    expect((10 / 180) * (1 - a.abandonProbability)).toBeLessThan(8 / 180);
  });

  it('matches the simulator running the real engine with impatient callers', () => {
    // 200 calls an hour, AHT 180 s, 13 agents, mean patience 120 s, for 20 simulated days (seeds 1, 2, 3 gave SL
    // 0.907, 0.906, 0.911, abandon 0.039, 0.039, 0.038, ASA 4.1, 4.0, 3.9 s against 0.909, 0.038, 3.9 s).
    const expected = erlangA(13, tenErlangs(120), 20);
    const result = simulate({
      callsPerDay: 4800,
      days: 20,
      profile: 'flat',
      ahtSeconds: 180,
      patienceSeconds: 120,
      agents: 13,
      thresholdSeconds: 20,
      wrapSeconds: 0,
      seed: 1,
    });
    expect(Math.abs((result.serviceLevel ?? 0) - expected.serviceLevel)).toBeLessThanOrEqual(0.02);
    expect(Math.abs((result.abandonRate ?? 0) - expected.abandonProbability)).toBeLessThanOrEqual(0.005);
    expect(Math.abs((result.asa ?? 0) - expected.asaSeconds)).toBeLessThanOrEqual(0.5);
    console.log(
      `Erlang A, 10 Erl, N = 13, patience 120 s: SL ${expected.serviceLevel.toFixed(4)}, P(ab) ${expected.abandonProbability.toFixed(4)}, ASA ${expected.asaSeconds.toFixed(2)} s; simulator: SL ${result.serviceLevel?.toFixed(4)}, abandon ${result.abandonRate?.toFixed(4)}, ASA ${result.asa?.toFixed(2)} s`,
    );
  });
});
