import type { Figure } from '../../../src/domain/figure';
import type { SummaryOptions } from '../../../src/domain/national';
import { entriesFor, isSummable, sourcesOfSum, summarise, summariseBy } from '../../../src/domain/national';
import { entry, figure, flat, force, unavailable } from './builders';

const AS_AT = '2018-01-17';

function options(extra: Partial<SummaryOptions> = {}): SummaryOptions {
  return {
    asAt: AS_AT,
    windowDays: 90,
    registeredWindowDays: 400,
    priorityOf: flat,
    staleSources: new Set(),
    ...extra,
  };
}

function byForce(figures: Figure[]): Map<string, Figure[]> {
  const map = new Map<string, Figure[]>();
  for (const f of figures) map.set(f.forceId, [...(map.get(f.forceId) ?? []), f]);
  return map;
}

describe('entriesFor: one entry per force, with exactly one outcome', () => {
  const forces = ['a', 'b', 'c', 'd', 'e', 'f', 'g'].map((id) => force(id));
  const figures = [
    figure('a', '2018-01-10', 5),
    figure('b', '2018-01-10', null, { status: 'WITHHELD' }),
    figure('c', '2018-01-10', null, { status: 'NOT_HELD' }),
    unavailable('d'),
    figure('e', '2013-10-09', 5),
    figure('f', '2018-01-10', 2, { status: 'SUPPRESSED' }),
  ];
  const entries = entriesFor(forces, byForce(figures), options());

  it('keeps the registry’s order and one entry per force, even forces no source mentions', () => {
    expect(entries.map((e) => e.force.id)).toEqual(['a', 'b', 'c', 'd', 'e', 'f', 'g']);
  });

  it('gives each force the outcome of its chosen figure', () => {
    expect(entries.map((e) => e.outcome)).toEqual([
      'REPORTED',
      'WITHHELD',
      'NOT_HELD',
      'UNAVAILABLE',
      'NO_FIGURE',
      'WITHHELD',
      'NO_FIGURE',
    ]);
  });

  it('tells a force with only an old figure how old it is', () => {
    expect(entries[4]?.figure).toBeNull();
    expect(entries[4]?.latestOutsideWindow?.asAt?.date).toBe('2013-10-09');
  });

  it('marks an entry stale when its chosen figure’s source is served stale', () => {
    const stale = entriesFor([force('a')], byForce([figure('a', '2018-01-10', 5, { sourceId: 'live' })]), {
      ...options(),
      staleSources: new Set(['live']),
    });
    expect(stale[0]?.stale).toBe(true);
  });

  it('picks registered RSOs over the longer registered window, and only a reported count', () => {
    const reg = figure('a', '2017-03-31', 900, { measure: 'REGISTERED', basis: null });
    const [withReg] = entriesFor([force('a')], byForce([figure('a', '2018-01-10', 5), reg]), options());
    expect(withReg?.registered).toBe(reg);
    const withheldReg = figure('a', '2017-03-31', null, {
      measure: 'REGISTERED',
      basis: null,
      status: 'WITHHELD',
    });
    const [without] = entriesFor(
      [force('a')],
      byForce([figure('a', '2018-01-10', 5), withheldReg]),
      options(),
    );
    expect(without?.registered).toBeNull();
  });
});

describe('summarise: the sum of REPORTED values, always with coverage', () => {
  const forces = ['e', 'd', 'c', 'b', 'a', 'z'].map((id) => force(id));
  const entries = [
    entry(forces[0]!, figure('e', '2018-01-10', 10)),
    entry(forces[1]!, figure('d', '2018-01-10', 0)),
    entry(forces[2]!, figure('c', '2018-01-10', null, { status: 'WITHHELD' })),
    entry(forces[3]!, unavailable('b')),
    entry(forces[4]!, null),
    entry(forces[5]!, figure('z', '2018-01-10', null, { status: 'NOT_HELD' })),
  ];
  const summary = summarise(entries, AS_AT, 90);

  it('sums only reported values (zero is a reported value)', () => {
    expect(summary.unaccounted).toBe(10);
    expect(summary.coverage.reporting).toBe(2);
    expect(summary.coverage.reportingForces.map((f) => f.id)).toEqual(['e', 'd']);
  });

  it('counts every force in exactly one coverage bucket', () => {
    expect(summary.coverage).toMatchObject({
      forces: 6,
      reporting: 2,
      withheld: 1,
      notHeld: 1,
      unavailable: 1,
      withoutFigure: 1,
      stale: 0,
    });
  });

  it('lists every force not in the sum, sorted by id', () => {
    expect(summary.coverage.missing.map((e) => e.force.id)).toEqual(['a', 'b', 'c', 'z']);
  });

  it('carries the date and window it was computed for', () => {
    expect(summary).toMatchObject({ asAt: AS_AT, windowDays: 90 });
  });

  it('never adds a value that a non-REPORTED figure happens to carry', () => {
    const sneaky = [
      entry(force('a'), figure('a', '2018-01-10', 1_000_000, { status: 'WITHHELD' })),
      entry(force('b'), figure('b', '2018-01-10', 1_000_000, { status: 'SUPPRESSED' })),
      entry(force('c'), figure('c', '2018-01-10', 3)),
    ];
    const s = summarise(sneaky, AS_AT, 90);
    expect(s.unaccounted).toBe(3);
    expect(s.coverage.withheld).toBe(2);
  });

  it('sums each basis separately, in the order of the basis list, while the headline sums across bases', () => {
    const mixed = [
      entry(force('a'), figure('a', '2018-01-10', 12, { basis: 'WANTED' })),
      entry(force('b'), figure('b', '2018-01-10', 7)),
      entry(force('c'), figure('c', '2018-01-10', 3)),
      entry(force('d'), figure('d', '2018-01-10', 5, { basis: 'MISSING_OR_WANTED' })),
    ];
    const s = summarise(mixed, AS_AT, 90);
    expect(s.unaccounted).toBe(27);
    expect(s.byBasis).toEqual([
      { basis: 'WHEREABOUTS_UNKNOWN', value: 10, forces: 2 },
      { basis: 'WANTED', value: 12, forces: 1 },
      { basis: 'MISSING_OR_WANTED', value: 5, forces: 1 },
    ]);
  });

  it('counts stale forces as a subset of reporting ones', () => {
    const s = summarise(
      [
        entry(force('a'), figure('a', '2018-01-10', 1), { stale: true }),
        entry(force('b'), unavailable('b'), { stale: true }),
        entry(force('c'), figure('c', '2018-01-10', 1)),
      ],
      AS_AT,
      90,
    );
    expect(s.coverage.stale).toBe(1);
  });

  it('gives zero with full coverage detail for an empty registry', () => {
    const s = summarise([], AS_AT, 90);
    expect(s.unaccounted).toBe(0);
    expect(s.coverage.forces).toBe(0);
    expect(s.per1000Registered).toBeNull();
    expect(s.per100kPopulation).toBeNull();
  });
});

describe('summarise: rates only over forces where both parts are known', () => {
  const pop = (value: number) => ({ value, label: 'test', source: 'test' });
  const reg = (id: string, value: number) =>
    figure(id, '2017-03-31', value, { measure: 'REGISTERED', basis: null });
  const entries = [
    entry(force('a', { population: pop(1_000_000) }), figure('a', '2018-01-10', 10), {
      registered: reg('a', 1000),
    }),
    entry(force('b', { population: pop(500_000) }), figure('b', '2018-01-10', 5)),
    entry(force('c'), figure('c', '2018-01-10', 20), { registered: reg('c', 3000) }),
    entry(
      force('d', { population: pop(9_000_000) }),
      figure('d', '2018-01-10', null, { status: 'WITHHELD' }),
      {
        registered: reg('d', 5000),
      },
    ),
    entry(force('e'), figure('e', '2018-01-10', 7), { registered: reg('e', 0) }),
  ];
  const s = summarise(entries, AS_AT, 90);

  it('computes per 1,000 registered over forces with both a count and a registered figure', () => {
    expect(s.per1000Registered).toEqual({ value: 7.5, numerator: 30, denominator: 4000, forcesIncluded: 2 });
  });

  it('computes per 100,000 population over forces with both a count and a population', () => {
    expect(s.per100kPopulation).toEqual({
      value: 1,
      numerator: 15,
      denominator: 1_500_000,
      forcesIncluded: 2,
    });
  });

  it('gives no rate when no force has both parts', () => {
    const none = summarise([entry(force('a'), figure('a', '2018-01-10', 10))], AS_AT, 90);
    expect(none.per1000Registered).toBeNull();
    expect(none.per100kPopulation).toBeNull();
  });
});

describe('summariseBy', () => {
  it('summarises each group, sorted by key, and the groups add up to the whole', () => {
    const entries = [
      entry(force('a', { region: 'North' }), figure('a', '2018-01-10', 4)),
      entry(force('b', { region: 'South' }), figure('b', '2018-01-10', 6)),
      entry(force('c', { region: 'North' }), null),
      entry(force('d', { region: 'East' }), unavailable('d')),
    ];
    const groups = summariseBy(entries, (f) => f.region, AS_AT, 90);
    expect(groups.map((g) => [g.key, g.summary.unaccounted, g.summary.coverage.forces])).toEqual([
      ['East', 0, 1],
      ['North', 4, 2],
      ['South', 6, 1],
    ]);
    expect(groups.reduce((n, g) => n + g.summary.unaccounted, 0)).toBe(
      summarise(entries, AS_AT, 90).unaccounted,
    );
  });
});

describe('isSummable', () => {
  it('accepts only a REPORTED figure with a number', () => {
    expect(isSummable(figure('a', '2018-01-10', 0))).toBe(true);
    expect(isSummable(figure('a', '2018-01-10', 5, { status: 'WITHHELD' }))).toBe(false);
    expect(isSummable(figure('a', '2018-01-10', null))).toBe(false);
    expect(isSummable(null)).toBe(false);
  });
});

describe('lower bounds: shown, never summed, counted in coverage', () => {
  const forces = [force('a'), force('b')];
  const bound = figure('a', '2018-01-10', 31300, { lowerBound: true });
  const exact = figure('b', '2018-01-10', 5);

  it('give the force the outcome LOWER_BOUND, its figure kept for readers', () => {
    const entries = entriesFor(forces, byForce([bound, exact]), options());
    expect(entries.map((e) => [e.force.id, e.outcome])).toEqual([
      ['a', 'LOWER_BOUND'],
      ['b', 'REPORTED'],
    ]);
    expect(entries[0]!.figure).toBe(bound);
  });

  it('stay out of the sum and its basis split, and coverage names the force', () => {
    const summary = summarise(entriesFor(forces, byForce([bound, exact]), options()), AS_AT, 90);
    expect(summary.unaccounted).toBe(5);
    expect(summary.byBasis).toEqual([{ basis: 'WHEREABOUTS_UNKNOWN', value: 5, forces: 1 }]);
    expect(summary.coverage).toMatchObject({ forces: 2, reporting: 1, lowerBound: 1, withoutFigure: 0 });
    expect(summary.coverage.missing.map((e) => [e.force.id, e.outcome])).toEqual([['a', 'LOWER_BOUND']]);
  });

  it('are no denominator of a rate: a lower-bound registered count gives the force no rate', () => {
    const registered = figure('b', '2017-03-31', 31300, {
      measure: 'REGISTERED',
      basis: null,
      lowerBound: true,
    });
    const [entry] = entriesFor([force('b')], byForce([exact, registered]), options());
    expect(entry!.registered).toBeNull();
    expect(summarise([entry!], AS_AT, 90).per1000Registered).toBeNull();
  });

  it('are not summable, nor is any figure without an exact reported value', () => {
    expect(isSummable(bound)).toBe(false);
    expect(isSummable(exact)).toBe(true);
  });
});

describe('sourcesOfSum: whose figures a sum adds up', () => {
  it('names each source of a summed figure once, with how many forces it gave, most first; nothing unsummed', () => {
    const forces = ['a', 'b', 'c', 'd', 'e', 'f'].map((id) => force(id));
    const entries = entriesFor(
      forces,
      byForce([
        figure('a', '2018-01-10', 5, { sourceId: 'survey' }),
        figure('b', '2018-01-10', 6, { sourceId: 'feed' }),
        figure('c', '2018-01-10', 7, { sourceId: 'feed' }),
        // Shown, never summed: neither a lower bound nor a withheld figure is a source of the sum.
        figure('d', '2018-01-10', 31300, { sourceId: 'bounds', lowerBound: true }),
        figure('e', '2018-01-10', null, { sourceId: 'refusals', status: 'WITHHELD' }),
      ]),
      options(),
    );
    const sources = sourcesOfSum(entries);
    expect(sources.map((s) => [s.sourceId, s.forces])).toEqual([
      ['feed', 2],
      ['survey', 1],
    ]);
    expect(sources.reduce((n, s) => n + s.forces, 0)).toBe(summarise(entries, AS_AT, 90).coverage.reporting);
  });
});

describe('two bases for one force and date', () => {
  it('add one figure to the sum, never both (the Met in November 2013: 63 missing, 96 wanted)', () => {
    const missing = figure('metropolitan', '2013-11', 63);
    const wanted = figure('metropolitan', '2013-11', 96, { basis: 'WANTED' });
    const summary = summarise(
      entriesFor([force('metropolitan')], byForce([wanted, missing]), options({ asAt: '2013-11-30' })),
      '2013-11-30',
      90,
    );
    expect(summary.unaccounted).toBe(63);
    expect(summary.byBasis).toEqual([{ basis: 'WHEREABOUTS_UNKNOWN', value: 63, forces: 1 }]);
  });
});

describe('undated figures', () => {
  it('are never chosen for a date: a force with only an undated figure has none', () => {
    const sun = figure('kent', null, 14);
    const [entry] = entriesFor([force('kent')], byForce([sun]), options({ windowDays: 36_500 }));
    expect(entry).toMatchObject({ outcome: 'NO_FIGURE', figure: null, latestOutsideWindow: null });
  });
});
