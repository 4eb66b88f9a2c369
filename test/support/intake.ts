/** A valid intake body (a public tip about one synthetic adult in Brownsville, TX), with fields to override. */
export const tip = (over: Record<string, unknown> = {}): Record<string, unknown> => ({
  source: 'public',
  reporter: { name: 'Synthetic Caller', phone: '(615) 555-0199' },
  narrative: 'Caller says the person works nights at a warehouse.',
  language: 'en',
  grading: { sourceReliability: 'C', informationCredibility: 3 },
  subjects: [
    {
      person: {
        givenNames: 'Ramón',
        familyName1: 'Quispe',
        familyName2: 'Huamán',
        dob: '1990-05-06',
        dobBasis: 'exact',
        sex: 'male',
        nationalities: ['PE'],
        phones: ['615-555-0142'],
        identifiers: { fbiNumber: '12345AB' },
      },
    },
  ],
  locations: [{ subject: 0, address: { line1: '100 Synthetic Way', zip: '78520' }, confidence: 'medium' }],
  case: { open: { type: 'enforcement_lead', priority: 'normal', summary: 'Warehouse night shift lead' } },
  ...over,
});
