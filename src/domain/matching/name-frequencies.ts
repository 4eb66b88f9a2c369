import type { Random } from '../demo/random.js';

/**
 * Names drawn with realistic frequencies, for measuring matching on a
 * population that looks like the people this center hears about (mostly from
 * Mexico and Central America). The heads of the distributions are common
 * Spanish and Maya family names and given names with weights in the
 * proportions published surname and given-name counts show (García or
 * Hernández ~3 %, the top ten ~20 %); the long tail — in real life thousands
 * of rarer names, about half of all people — is made of synthetic names
 * assembled from syllables, drawn with Zipf-like weights. No name here stands
 * for a real person.
 */

type Weighted = readonly (readonly [string, number])[];

const FAMILY_HEAD: Weighted = [
  ['Hernández', 33],
  ['García', 30],
  ['López', 25],
  ['Martínez', 24],
  ['González', 22],
  ['Pérez', 20],
  ['Rodríguez', 18],
  ['Sánchez', 16],
  ['Ramírez', 15],
  ['Cruz', 12],
  ['Flores', 11],
  ['Gómez', 11],
  ['Morales', 10],
  ['Vásquez', 9],
  ['Reyes', 9],
  ['Jiménez', 8],
  ['Torres', 8],
  ['Díaz', 8],
  ['Gutiérrez', 7],
  ['Ruiz', 7],
  ['Mendoza', 7],
  ['Aguilar', 7],
  ['Ortiz', 6],
  ['Moreno', 6],
  ['Castillo', 6],
  ['Romero', 6],
  ['Álvarez', 6],
  ['Méndez', 5],
  ['Chávez', 5],
  ['Rivera', 5],
  ['Juárez', 5],
  ['Ramos', 5],
  ['Domínguez', 4],
  ['Herrera', 4],
  ['Medina', 4],
  ['Castro', 4],
  ['Vargas', 4],
  ['Guzmán', 4],
  ['Velásquez', 4],
  ['Mejía', 4],
  ['Rojas', 3],
  ['Contreras', 3],
  ['Salazar', 3],
  ['Luna', 3],
  ['Ortega', 3],
  ['Cabrera', 3],
  ['Estrada', 3],
  ['Guerrero', 3],
  ['Escobar', 3],
  ['Orellana', 2],
  ['Quiñónez', 2],
  ['Xicará', 2],
  ['Tzoc', 2],
  ['Coj', 2],
  ['Batz', 2],
  ['Ajú', 2],
  ['Tzul', 2],
  ['Cux', 2],
  ['Chiquín', 1],
  ['Ixcoy', 1],
  ['Tuyuc', 1],
  ['Yax', 1],
];

const GIVEN_FEMALE_HEAD: Weighted = [
  ['María', 60],
  ['Ana', 18],
  ['Rosa', 12],
  ['Juana', 10],
  ['Guadalupe', 10],
  ['Carmen', 9],
  ['Sandra', 8],
  ['Gloria', 7],
  ['Marta', 7],
  ['Lucía', 7],
  ['Alejandra', 6],
  ['Gabriela', 6],
  ['Patricia', 6],
  ['Verónica', 6],
  ['Sofía', 6],
  ['Fernanda', 5],
  ['Valeria', 5],
  ['Camila', 5],
  ['Daniela', 5],
  ['Elena', 5],
  ['Isabel', 5],
  ['Teresa', 5],
  ['Dolores', 4],
  ['Rosario', 4],
  ['Leticia', 4],
  ['Silvia', 4],
  ['Yesenia', 4],
  ['Claudia', 4],
  ['Karla', 4],
  ['Mónica', 3],
  ['Andrea', 3],
  ['Brenda', 3],
  ['Xóchitl', 2],
  ['Ixchel', 2],
  ['Nayeli', 2],
  ['Wendy', 2],
  ['Dulce', 2],
  ['Esperanza', 2],
  ['Magdalena', 2],
];

const GIVEN_MALE_HEAD: Weighted = [
  ['José', 50],
  ['Juan', 35],
  ['Luis', 18],
  ['Carlos', 16],
  ['Jesús', 12],
  ['Francisco', 12],
  ['Miguel', 12],
  ['Jorge', 10],
  ['Pedro', 9],
  ['Antonio', 9],
  ['Manuel', 8],
  ['Alejandro', 8],
  ['Mario', 7],
  ['Fernando', 7],
  ['Ricardo', 6],
  ['Roberto', 6],
  ['Eduardo', 6],
  ['Javier', 6],
  ['Guillermo', 5],
  ['Alberto', 5],
  ['Ignacio', 4],
  ['Rafael', 4],
  ['Sergio', 4],
  ['Daniel', 4],
  ['Óscar', 4],
  ['Víctor', 4],
  ['Raúl', 4],
  ['Héctor', 3],
  ['Edwin', 3],
  ['Byron', 3],
  ['Wilmer', 3],
  ['Santiago', 3],
  ['Mateo', 3],
  ['Diego', 3],
  ['Kevin', 2],
  ['Brayan', 2],
  ['Erick', 2],
  ['Ángel', 2],
  ['Cristian', 2],
];

const ONSETS = [
  'B',
  'C',
  'Ch',
  'G',
  'J',
  'L',
  'M',
  'N',
  'P',
  'Q',
  'R',
  'S',
  'T',
  'Tz',
  'V',
  'X',
  'Y',
  'Z',
  'Ax',
  'Ix',
  'Al',
  'Ar',
  'Es',
  'Ol',
];
const NUCLEI = ['a', 'e', 'i', 'o', 'u', 'ua', 'ie', 'ay', 'ei'];
const CODAS = ['', '', 'l', 'n', 'r', 's', 'x', 'c', 'j', 'z', 'nd', 'rr', 'll'];
const FAMILY_ENDINGS = ['', 'ez', 'es', 'al', 'ín', 'ón', 'ero', 'ona', 'ado', 'il', 'ul', 'ic'];
const GIVEN_F_ENDINGS = ['a', 'ia', 'ela', 'ina', 'ana', 'ira'];
const GIVEN_M_ENDINGS = ['o', 'io', 'el', 'on', 'ar', 'er'];

function syllableName(random: Random, endings: readonly string[]): string {
  const syllables = random.int(1, 2);
  let name = '';
  for (let i = 0; i < syllables; i++) name += random.pick(ONSETS) + random.pick(NUCLEI) + (i === syllables - 1 ? '' : random.pick(CODAS));
  name += random.pick(endings);
  const word = name.toLowerCase();
  return word.charAt(0).toUpperCase() + word.slice(1);
}

/** A sampler over weighted names: the head as listed, the tail `tailSize` synthetic names sharing `tailShare` of all draws. */
export class NameDistribution {
  private readonly names: string[] = [];
  private readonly cumulative: number[] = [];

  constructor(head: Weighted, tail: { random: Random; size: number; share: number; endings: readonly string[] }) {
    const headTotal = head.reduce((sum, [, w]) => sum + w, 0);
    const known = new Set(head.map(([n]) => n));
    let total = 0;
    for (const [name, weight] of head) {
      total += (weight / headTotal) * (1 - tail.share);
      this.names.push(name);
      this.cumulative.push(total);
    }
    // Zipf-like tail (weight 1/rank): some "rare" names are still shared by many people.
    const harmonic = Array.from({ length: tail.size }, (_, i) => 1 / (i + 1)).reduce((a, b) => a + b, 0);
    let rank = 0;
    for (let attempts = 0; rank < tail.size && attempts < tail.size * 50; attempts++) {
      const name = syllableName(tail.random, tail.endings);
      if (known.has(name)) continue;
      known.add(name);
      rank += 1;
      total += (1 / rank / harmonic) * tail.share;
      this.names.push(name);
      this.cumulative.push(total);
    }
  }

  get size(): number {
    return this.names.length;
  }

  draw(random: Random): string {
    const target = random.next() * (this.cumulative.at(-1) ?? 1);
    let lo = 0;
    let hi = this.cumulative.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((this.cumulative[mid] ?? 0) < target) lo = mid + 1;
      else hi = mid;
    }
    return this.names[lo] ?? this.names[0] ?? '';
  }
}

export type NamePools = { family: NameDistribution; givenFemale: NameDistribution; givenMale: NameDistribution };

/** The pools are themselves seeded, so a population is reproducible from its seed. */
export function realisticNamePools(random: Random): NamePools {
  return {
    family: new NameDistribution(FAMILY_HEAD, { random, size: 4_000, share: 0.5, endings: FAMILY_ENDINGS }),
    givenFemale: new NameDistribution(GIVEN_FEMALE_HEAD, { random, size: 600, share: 0.3, endings: GIVEN_F_ENDINGS }),
    givenMale: new NameDistribution(GIVEN_MALE_HEAD, { random, size: 600, share: 0.3, endings: GIVEN_M_ENDINGS }),
  };
}
