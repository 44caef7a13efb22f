import { embeddedDefault } from '../../src/config/load';
import { TestClock } from '../helpers/clock';
import type { RunningGateway } from '../helpers/gateway';
import { gql, startGateway } from '../helpers/gateway';

/** The query of the gateway-core issue, on the embedded default, with field names as written there. */
const CONTRACT_QUERY = `{ national(asAt: "2018-01-17") { unaccounted { value } coverage { forces reporting withoutFigure unavailable stale withheld missingForces { id } } publishedTotals { value forcesResponded source { title } } } }`;

/** The 25 forces with no published figure dated within 90 days of 17 January 2018. */
const WITHOUT_FIGURE_2018 = [
  'avon-and-somerset', 'cambridgeshire', 'cheshire', 'city-of-london', 'cumbria', 'devon-and-cornwall', 'dyfed-powys',
  'essex', 'gwent', 'humberside', 'kent', 'lincolnshire', 'merseyside', 'norfolk', 'north-wales',
  'northamptonshire', 'northern-ireland', 'nottinghamshire', 'south-wales', 'suffolk', 'surrey', 'sussex',
  'warwickshire', 'west-mercia', 'wiltshire',
]; // prettier-ignore

describe('national counts on the embedded default (the bundled published figures)', () => {
  let gateway: RunningGateway;
  beforeAll(async () => {
    gateway = await startGateway();
  });
  afterAll(() => gateway.close());

  // 393 from 20 forces (the first bundled file had 389 from 19): Gloucestershire's 4, from Sky's breakdown
  // as Breitbart reported it, came with the second collection of published figures.
  test('as at 2018-01-17: 393 from 20 forces, 25 named without a figure, Sky News 485 (41 forces) beside it', async () => {
    const res = await gql(gateway.graphqlUrl, CONTRACT_QUERY);
    expect(res.status).toBe(200);
    expect(res.body.errors).toBeUndefined();
    const { national } = res.body.data!;
    expect(national.unaccounted).toEqual({ value: 393 });
    expect(national.coverage).toEqual({
      forces: 45,
      reporting: 20,
      withoutFigure: 25,
      unavailable: 0,
      stale: 0,
      withheld: 0,
      missingForces: WITHOUT_FIGURE_2018.map((id) => ({ id })),
    });
    expect(national.publishedTotals).toEqual([
      {
        value: 485,
        forcesResponded: 41,
        source: {
          title:
            'Sky News FOI, reported by Swanage & Wareham Voice / Courier / STV / Bucks Herald (20-21 Mar 2018)',
        },
      },
    ]);
  });

  test('the sum is split by basis, and each figure cites its own article', async () => {
    const res = await gql(
      gateway.graphqlUrl,
      `{ national(asAt: "2018-01-17") { unaccounted { byBasis { basis value forces } }
         forces { force { id } figure { value basis asAt { date precision } provenance { sourceId title url simulated } } } } }`,
    );
    const { national } = res.body.data!;
    expect(national.unaccounted.byBasis).toEqual([
      { basis: 'WHEREABOUTS_UNKNOWN', value: 371, forces: 18 },
      { basis: 'WANTED', value: 22, forces: 2 },
    ]);
    const met = national.forces.find((e: any) => e.force.id === 'metropolitan');
    expect(met.figure).toEqual({
      value: 227,
      basis: 'WHEREABOUTS_UNKNOWN',
      asAt: { date: '2018-01-17', precision: 'DAY' },
      provenance: {
        sourceId: 'published-figures',
        title:
          'Sky News FOI investigation into missing registered sex offenders - Swanage and Wareham Voice / The Courier (PA copy of Sky News report)',
        url: 'https://www.swanageandwarehamvoice.co.uk/news/16101180.police-have-lost-track-of-hundreds-of-registered-sex-offenders-across-the-uk/',
        simulated: false,
      },
    });
  });

  test('as at March 2015 the Press Association figures (month precision) are chosen, with its published 396', async () => {
    const res = await gql(
      gateway.graphqlUrl,
      `{ national(asAt: "2015-03-31", windowDays: 60) { unaccounted { value } coverage { reporting }
         publishedTotals { value } forces { force { id } figure { value asAt { date precision } } } } }`,
    );
    const { national } = res.body.data!;
    const met = national.forces.find((e: any) => e.force.id === 'metropolitan');
    expect(met.figure).toEqual({ value: 167, asAt: { date: '2015-03', precision: 'MONTH' } });
    // 18: the PA's 16 forces of the first file, with Essex (11) and West Mercia (6) from the second.
    expect(national.coverage.reporting).toBe(18);
    expect(national.publishedTotals).toEqual([{ value: 396 }]);
  });

  test("a force's latest figures carry each measure, breakdowns (withheld ones too) and rates", async () => {
    const res = await gql(
      gateway.graphqlUrl,
      `{ force(id: "dorset") { name gssCode nation region population { value }
          latest(asAt: "2013-10-09") {
            outcome unaccounted { value basis status } registered { value }
            breachesCautionedOrConvicted { value } returnedToCustody { value }
            breakdowns { dimension status complete cells { category value status } }
            rates { per1000Registered per100kPopulation } } } }`,
    );
    const { force } = res.body.data!;
    expect(force).toMatchObject({
      name: 'Dorset Police',
      gssCode: 'E23000039',
      nation: 'England',
      region: 'South West',
    });
    expect(force.latest).toMatchObject({
      outcome: 'REPORTED',
      unaccounted: { value: 5, basis: 'MISSING_OR_WANTED', status: 'REPORTED' },
      registered: { value: 574 },
      breachesCautionedOrConvicted: { value: 14 },
      returnedToCustody: null,
    });
    expect(force.latest.breakdowns).toEqual([
      { dimension: 'MAPPA_LEVEL', status: 'WITHHELD', complete: false, cells: [] },
      {
        dimension: 'RETURNED_TO_CUSTODY_BY_MAPPA_LEVEL',
        status: 'REPORTED',
        complete: false,
        cells: [{ category: '2', value: 2, status: 'REPORTED' }],
      },
    ]);
    expect(force.latest.rates.per1000Registered).toBeCloseTo((5 / 574) * 1000, 6);
    expect(force.latest.rates.per100kPopulation).toBeCloseTo((5 / force.population.value) * 100_000, 6);
  });

  test("a force's history lists every dated figure from every source, oldest first", async () => {
    const res = await gql(
      gateway.graphqlUrl,
      `{ force(id: "metropolitan") { history { value basis asAt { date } } } }`,
    );
    // Undated figures (The Sun's 128, the Evening Standard's 121) are never on this axis; the 2013
    // answer's two bases are both here, the derived 159 nowhere.
    expect(res.body.data!.force.history).toEqual([
      { value: 88, basis: 'WHEREABOUTS_UNKNOWN', asAt: { date: '2007-01' } },
      { value: 112, basis: 'WHEREABOUTS_UNKNOWN', asAt: { date: '2008-12' } },
      { value: 123, basis: 'WHEREABOUTS_UNKNOWN', asAt: { date: '2012-02' } },
      { value: 123, basis: 'WHEREABOUTS_UNKNOWN', asAt: { date: '2012-04' } },
      // On one date the figure a selection would choose comes last, as a later date would.
      { value: 96, basis: 'WANTED', asAt: { date: '2013-11' } },
      { value: 63, basis: 'WHEREABOUTS_UNKNOWN', asAt: { date: '2013-11' } },
      { value: 167, basis: 'WHEREABOUTS_UNKNOWN', asAt: { date: '2015-03' } },
      { value: 227, basis: 'WHEREABOUTS_UNKNOWN', asAt: { date: '2018-01-17' } },
    ]);
  });

  test('a figure reported by several outlets of one survey is one figure, citing the others', async () => {
    const res = await gql(
      gateway.graphqlUrl,
      `{ force(id: "cambridgeshire") { latest(asAt: "2015-03-31") { unaccounted { value asAt { date }
           provenance { title quote notes corroboratedBy { title url asAt quote } } } }
         history(from: "2015-01-01", to: "2015-12-31") { value } } }`,
    );
    expect(res.body.errors).toBeUndefined();
    const { force } = res.body.data!;
    expect(force.history).toEqual([{ value: 10 }]);
    expect(force.latest.unaccounted).toEqual({
      value: 10,
      asAt: { date: '2015-03' },
      provenance: {
        title: 'Press Association FOI - Cambs Times',
        quote: null,
        notes: null,
        corroboratedBy: [
          {
            title: "Sex offenders are 'missing' (Stamford Mercury; PA FOI, published c. 10 Mar 2015)",
            url: 'https://www.stamfordmercury.co.uk/news/crime/sex-offenders-are-missing-1-6632620',
            asAt: '2015-02',
            quote:
              'Cambridgeshire Police said 10 registered sex offenders were wanted because their whereabouts were unknown.',
          },
        ],
      },
    });
  });

  test("Scotland's wanted and missing are two figures: the headline takes missing, wanted is set aside beside it", async () => {
    const res = await gql(
      gateway.graphqlUrl,
      `{ force(id: "police-scotland") { latest(asAt: "2021-03-31") {
           outcome unaccounted { basis value lowerBound } registered { value }
           setAside { measure basis value provenance { sourceId } } } }
         national(asAt: "2021-03-31") { unaccounted { value byBasis { basis value } } coverage { reporting lowerBound } } }`,
    );
    expect(res.body.errors).toBeUndefined();
    const { force, national } = res.body.data!;
    expect(force.latest).toEqual({
      outcome: 'REPORTED',
      unaccounted: { basis: 'WHEREABOUTS_UNKNOWN', value: 0, lowerBound: false },
      registered: { value: 4358 },
      setAside: [
        {
          measure: 'UNACCOUNTED',
          basis: 'WANTED',
          value: 13,
          provenance: { sourceId: 'scotland-mappa-wanted' },
        },
      ],
    });
    expect(national).toEqual({
      unaccounted: { value: 0, byBasis: [{ basis: 'WHEREABOUTS_UNKNOWN', value: 0 }] },
      coverage: { reporting: 1, lowerBound: 0 },
    });
  });

  test('figures the source did not date are listed apart, never on a date; a lower bound says so', async () => {
    const res = await gql(
      gateway.graphqlUrl,
      `{ force(id: "kent") { undatedFigures { value asAt { date } provenance { quote } }
           latest(asAt: "2010-12-31", windowDays: 3650) { unaccounted { value asAt { date } } } }
         publishedTotals(scope: "England and Wales") { value lowerBound asAt { date } measure } }`,
    );
    expect(res.body.errors).toBeUndefined();
    const { force, publishedTotals } = res.body.data!;
    expect(force.undatedFigures).toEqual([
      {
        value: 14,
        asAt: null,
        provenance: {
          quote: 'Kent reported that there were 14 people on the sex offenders register who had gone missing',
        },
      },
    ]);
    // The latest dated figure, never the undated one.
    expect(force.latest.unaccounted).toEqual({ value: 13, asAt: { date: '2008-12' } });
    expect(publishedTotals.filter((t: any) => t.lowerBound)).toEqual([
      { value: 31300, lowerBound: true, asAt: null, measure: 'registered_rsos_mappa' },
    ]);
  });

  test('regions and nations each carry coverage that adds up to the national coverage', async () => {
    const res = await gql(
      gateway.graphqlUrl,
      `{ national(asAt: "2018-01-17") { unaccounted { value } }
         regions(asAt: "2018-01-17") { name unaccounted { value } coverage { forces reporting withoutFigure } }
         nations(asAt: "2018-01-17") { name unaccounted { value } coverage { forces reporting withoutFigure } } }`,
    );
    const { national, regions, nations } = res.body.data!;
    for (const areas of [regions, nations]) {
      expect(areas.reduce((s: number, a: any) => s + a.unaccounted.value, 0)).toBe(
        national.unaccounted.value,
      );
      expect(areas.reduce((s: number, a: any) => s + a.coverage.forces, 0)).toBe(45);
      expect(areas.reduce((s: number, a: any) => s + a.coverage.reporting, 0)).toBe(20);
    }
    expect(nations.map((n: any) => n.name)).toEqual(['England', 'Northern Ireland', 'Scotland', 'Wales']);
    expect(nations.find((n: any) => n.name === 'Scotland')).toEqual({
      name: 'Scotland',
      unaccounted: { value: 12 },
      coverage: { forces: 1, reporting: 1, withoutFigure: 0 },
    });
  });

  test('every bundled source reports OK, citing real publications, none simulated', async () => {
    const res = await gql(
      gateway.graphqlUrl,
      '{ sources { id kind shape state simulated error { code } breaker } }',
    );
    expect(res.body.data!.sources).toEqual(
      [
        'published-figures',
        'published-breakdowns',
        'published-national-totals',
        'mappa-registered',
        'force-registered',
        'scotland-mappa-wanted',
        'scotland-mappa-missing',
      ].map((id) => ({
        id,
        kind: 'csv',
        shape:
          id === 'published-breakdowns'
            ? 'breakdowns'
            : id === 'published-national-totals'
              ? 'totals'
              : 'counts',
        state: 'OK',
        simulated: false,
        error: null,
        breaker: 'CLOSED',
      })),
    );
  });

  test('forces can be filtered by nation and region; a bad nation is a clear error', async () => {
    const ok = await gql(
      gateway.graphqlUrl,
      '{ wales: forces(filter: { nation: "Wales" }) { id } ne: forces(filter: { region: "North East" }) { id } }',
    );
    expect(ok.body.data!.wales.map((f: any) => f.id)).toEqual([
      'dyfed-powys',
      'gwent',
      'north-wales',
      'south-wales',
    ]);
    expect(ok.body.data!.ne.map((f: any) => f.id)).toEqual(['cleveland', 'durham', 'northumbria']);
    const bad = await gql(gateway.graphqlUrl, '{ forces(filter: { nation: "Atlantis" }) { id } }');
    expect(bad.status).toBe(400);
    expect(bad.body.errors![0]!.message).toBe(
      'filter.nation must be one of: England, Wales, Scotland, Northern Ireland',
    );
  });
});

describe('figure ages on the clock', () => {
  test("the national summary gives ages as at the start of the clock second it is made in; a force's own figures as at the request", async () => {
    // The sources are read at 12:00:00.600, so a figure's age is 1 s from 12:00:01.600 on.
    const clock = new TestClock(Date.parse('2026-11-22T12:00:00.600Z'));
    const gateway = await startGateway(embeddedDefault(), { redis: null, now: clock.now });
    const ages = async () => {
      const res = await gql(
        gateway.graphqlUrl,
        `{ national(asAt: "2018-01-17") { forces { force { id } figure { ageSeconds } } }
           force(id: "metropolitan") { latest(asAt: "2018-01-17") { unaccounted { ageSeconds } } } }`,
      );
      expect(res.body.errors).toBeUndefined();
      const { national, force } = res.body.data!;
      const met = national.forces.find((e: any) => e.force.id === 'metropolitan');
      return { national: met.figure.ageSeconds, force: force.latest.unaccounted.ageSeconds };
    };
    try {
      expect(await ages()).toEqual({ national: 0, force: 0 });
      clock.advance(1_200); // 12:00:01.800: the summary is made again, as at 12:00:01.000
      expect(await ages()).toEqual({ national: 0, force: 1 });
      clock.advance(150); // 12:00:01.950: the same second's summary
      expect(await ages()).toEqual({ national: 0, force: 1 });
      clock.advance(100); // 12:00:02.050
      expect(await ages()).toEqual({ national: 1, force: 1 });
    } finally {
      await gateway.close();
    }
  });
});
