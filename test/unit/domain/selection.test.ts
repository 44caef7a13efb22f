import {
  HEADLINE_BASIS_ORDER,
  figuresBetween,
  isPreferred,
  selectBreakdowns,
  selectFigure,
  setAsideBeside,
  undatedFigures,
} from '../../../src/domain/selection';
import { breakdown, figure, flat, unavailable } from './builders';

const AS_AT = '2018-01-17';

describe('selectFigure: the latest figure at or before the date, within the window', () => {
  it('chooses the latest figure dated at or before the date', () => {
    const older = figure('dorset', '2017-12-01', 4);
    const latest = figure('dorset', '2018-01-10', 5);
    const after = figure('dorset', '2018-01-18', 6);
    const { figure: chosen } = selectFigure([older, after, latest], 'UNACCOUNTED', AS_AT, 90, flat);
    expect(chosen).toBe(latest);
  });

  it('counts a figure dated exactly on the date', () => {
    const onTheDay = figure('dorset', AS_AT, 5);
    expect(selectFigure([onTheDay], 'UNACCOUNTED', AS_AT, 90, flat).figure).toBe(onTheDay);
  });

  it('keeps a figure exactly windowDays old and drops one a day older, naming it as the latest outside', () => {
    const edge = figure('dorset', '2017-10-19', 3); // 90 days before
    const older = figure('dorset', '2017-10-18', 2); // 91 days before
    expect(selectFigure([edge], 'UNACCOUNTED', AS_AT, 90, flat)).toEqual({
      figure: edge,
      latestOutsideWindow: null,
    });
    expect(selectFigure([older], 'UNACCOUNTED', AS_AT, 90, flat)).toEqual({
      figure: null,
      latestOutsideWindow: older,
    });
  });

  it('names the newest of several figures older than the window', () => {
    const a = figure('dorset', '2013-10-09', 5);
    const b = figure('dorset', '2015-03', 4);
    expect(selectFigure([b, a], 'UNACCOUNTED', AS_AT, 90, flat).latestOutsideWindow).toBe(b);
  });

  it('only looks at the measure asked for', () => {
    const registered = figure('dorset', '2018-01-01', 574, { measure: 'REGISTERED', basis: null });
    expect(selectFigure([registered], 'UNACCOUNTED', AS_AT, 90, flat)).toEqual({
      figure: null,
      latestOutsideWindow: null,
    });
    expect(selectFigure([registered], 'REGISTERED', AS_AT, 90, flat).figure).toBe(registered);
  });

  it('returns nothing at all for a force with no candidates', () => {
    expect(selectFigure([], 'UNACCOUNTED', AS_AT, 90, flat)).toEqual({
      figure: null,
      latestOutsideWindow: null,
    });
  });

  it('chooses a withheld figure like any other: a refusal is the force’s latest word', () => {
    const reported = figure('dorset', '2018-01-01', 5);
    const withheld = figure('dorset', '2018-01-10', null, { status: 'WITHHELD' });
    expect(selectFigure([reported, withheld], 'UNACCOUNTED', AS_AT, 90, flat).figure).toBe(withheld);
  });
});

describe('selectFigure: MONTH and YEAR figures count from the first day of their period', () => {
  it('makes a month figure eligible from the first of the month, even before the month ends', () => {
    const month = figure('metropolitan', '2015-03', 167);
    expect(selectFigure([month], 'UNACCOUNTED', '2015-03-01', 90, flat).figure).toBe(month);
    expect(selectFigure([month], 'UNACCOUNTED', '2015-02-28', 90, flat).figure).toBeNull();
  });

  it('ages a month figure from the first of the month (the oldest it could be)', () => {
    const month = figure('metropolitan', '2015-03', 167);
    // 2015-05-30 is 90 days after 2015-03-01; 2015-05-31 is 91.
    expect(selectFigure([month], 'UNACCOUNTED', '2015-05-30', 90, flat).figure).toBe(month);
    expect(selectFigure([month], 'UNACCOUNTED', '2015-05-31', 90, flat)).toEqual({
      figure: null,
      latestOutsideWindow: month,
    });
  });

  it('ages a year figure from 1 January', () => {
    const year = figure('dorset', '2017', 5);
    expect(selectFigure([year], 'UNACCOUNTED', '2017-03-31', 90, flat).figure).toBe(year);
    expect(selectFigure([year], 'UNACCOUNTED', '2017-04-02', 90, flat).figure).toBeNull();
  });

  it('prefers a day figure later in the month over the month figure', () => {
    const month = figure('west-yorkshire', '2015-03', 10);
    const day = figure('west-yorkshire', '2015-03-05', 11);
    expect(selectFigure([day, month], 'UNACCOUNTED', '2015-03-31', 90, flat).figure).toBe(day);
  });
});

describe('selectFigure: ties on the date', () => {
  it('break by precision first: a DAY figure beats a MONTH figure starting the same day', () => {
    const month = figure('dorset', '2018-01', 4, { sourceId: 'a' });
    const day = figure('dorset', '2018-01-01', 5, { sourceId: 'b' });
    expect(selectFigure([month, day], 'UNACCOUNTED', AS_AT, 90, () => 0).figure).toBe(day);
    // Precision outranks priority.
    const priority = (id: string) => (id === 'a' ? 100 : 0);
    expect(selectFigure([month, day], 'UNACCOUNTED', AS_AT, 90, priority).figure).toBe(day);
  });

  it('then by configured source priority', () => {
    const low = figure('dorset', '2018-01-10', 4, { sourceId: 'a-low' });
    const high = figure('dorset', '2018-01-10', 5, { sourceId: 'z-high' });
    const priority = (id: string) => (id === 'z-high' ? 10 : 0);
    expect(selectFigure([low, high], 'UNACCOUNTED', AS_AT, 90, priority).figure).toBe(high);
    expect(selectFigure([high, low], 'UNACCOUNTED', AS_AT, 90, priority).figure).toBe(high);
  });

  it('then by source id, so that the choice never depends on arrival order', () => {
    const a = figure('dorset', '2018-01-10', 4, { sourceId: 'alpha' });
    const b = figure('dorset', '2018-01-10', 5, { sourceId: 'beta' });
    expect(selectFigure([a, b], 'UNACCOUNTED', AS_AT, 90, flat).figure).toBe(a);
    expect(selectFigure([b, a], 'UNACCOUNTED', AS_AT, 90, flat).figure).toBe(a);
  });

  it('isPreferred is a strict order: a figure is never preferred to itself', () => {
    const a = figure('dorset', '2018-01-10', 4);
    expect(isPreferred(a, a, flat)).toBe(false);
  });
});

describe('selectFigure: two bases of one force on one date (Scotland gives wanted and missing side by side)', () => {
  const AT = '2021-03-31';
  const wanted = figure('police-scotland', AT, 13, { basis: 'WANTED', sourceId: 'scotland-mappa-wanted' });
  const missing = figure('police-scotland', AT, 0, { sourceId: 'scotland-mappa-missing' });

  it('takes the basis first in HEADLINE_BASIS_ORDER, whatever the order or the source priorities', () => {
    expect(HEADLINE_BASIS_ORDER).toEqual(['WHEREABOUTS_UNKNOWN', 'MISSING_OR_WANTED', 'WANTED']);
    const priority = (id: string) => (id === 'scotland-mappa-wanted' ? 100 : 0);
    for (const order of [
      [wanted, missing],
      [missing, wanted],
    ]) {
      expect(selectFigure(order, 'UNACCOUNTED', AT, 90, priority).figure).toBe(missing);
    }
  });

  it('prefers a combined figure to a count of the wanted alone', () => {
    const combined = figure('metropolitan', '2013-11', 159, { basis: 'MISSING_OR_WANTED', sourceId: 'z' });
    const wantedOnly = figure('metropolitan', '2013-11', 96, { basis: 'WANTED', sourceId: 'a' });
    expect(selectFigure([wantedOnly, combined], 'UNACCOUNTED', '2013-11-30', 90, flat).figure).toBe(combined);
  });

  it('lets a later date win over the basis order: a wanted figure of a later day is the latest word', () => {
    const later = figure('police-scotland', '2021-09-30', 16, { basis: 'WANTED' });
    expect(selectFigure([missing, later], 'UNACCOUNTED', '2021-10-01', 90, flat).figure).toBe(later);
  });

  it('sets the other basis aside, beside the chosen one, never dropping it', () => {
    const chosen = selectFigure([wanted, missing], 'UNACCOUNTED', AT, 90, flat).figure;
    expect(setAsideBeside([wanted, missing], chosen, flat)).toEqual([wanted]);
  });
});

describe('selectFigure: lower bounds and figures the source did not date', () => {
  it('prefers an exact figure to a lower bound of the same date and basis', () => {
    const bound = figure('dorset', '2009-03-31', 31300, {
      measure: 'REGISTERED',
      basis: null,
      lowerBound: true,
    });
    const exact = figure('dorset', '2009-03-31', 31400, {
      measure: 'REGISTERED',
      basis: null,
      sourceId: 'z-other',
    });
    expect(selectFigure([bound, exact], 'REGISTERED', '2009-04-01', 400, flat).figure).toBe(exact);
  });

  it('never selects an undated figure for a date, nor lists it in a range', () => {
    const undated = figure('metropolitan', null, 121);
    expect(selectFigure([undated], 'UNACCOUNTED', AS_AT, 36_500, flat)).toEqual({
      figure: null,
      latestOutsideWindow: null,
    });
    expect(figuresBetween([undated], 'UNACCOUNTED', '1900-01-01', AS_AT, flat)).toEqual([]);
  });

  it('lists undated figures apart, by measure, leaving out failed sources’ UNAVAILABLE ones', () => {
    const sun = figure('metropolitan', null, 128);
    const registered = figure('metropolitan', null, 3700, { measure: 'REGISTERED', basis: null });
    const failed = unavailable('metropolitan');
    const dated = figure('metropolitan', '2018-01-17', 227);
    expect(undatedFigures([sun, failed, dated, registered])).toEqual([sun, registered]);
    expect(undatedFigures([sun, failed, dated, registered], 'UNACCOUNTED')).toEqual([sun]);
  });
});

describe('setAsideBeside: what the choice left out on the chosen date', () => {
  it('lists two outlets that disagree about one date, keeping the source’s row order for the tie', () => {
    // The MoJ table as later published (821) and the first press report of the same year (827).
    const table = figure('cleveland', '2019-03-31', 821, {
      measure: 'REGISTERED',
      basis: null,
      sourceId: 'mappa',
    });
    const echo = figure('cleveland', '2019-03-31', 827, {
      measure: 'REGISTERED',
      basis: null,
      sourceId: 'mappa',
    });
    const older = figure('cleveland', '2018-03-31', 814, {
      measure: 'REGISTERED',
      basis: null,
      sourceId: 'mappa',
    });
    const chosen = selectFigure([table, echo, older], 'REGISTERED', '2019-04-01', 400, flat).figure;
    expect(chosen).toBe(table);
    expect(setAsideBeside([table, echo, older], chosen, flat)).toEqual([echo]);
  });

  it('leaves out other measures, other precisions of the same start, and gives nothing for no choice', () => {
    const day = figure('dorset', '2018-01-01', 5);
    const month = figure('dorset', '2018-01', 4);
    const registered = figure('dorset', '2018-01-01', 574, { measure: 'REGISTERED', basis: null });
    expect(setAsideBeside([day, month, registered], day, flat)).toEqual([]);
    expect(setAsideBeside([day], null, flat)).toEqual([]);
  });
});

describe('selectFigure: a failed source', () => {
  it('makes the force UNAVAILABLE when nothing dated falls in the window', () => {
    const failed = unavailable('dorset');
    const old = figure('dorset', '2013-10-09', 5);
    expect(selectFigure([old, failed], 'UNACCOUNTED', AS_AT, 90, flat)).toEqual({
      figure: failed,
      latestOutsideWindow: old,
    });
  });

  it('does not hide a good figure in the window behind another source’s failure', () => {
    const failed = unavailable('dorset', 'live-feed');
    const good = figure('dorset', '2018-01-10', 5, { sourceId: 'published' });
    expect(selectFigure([failed, good], 'UNACCOUNTED', AS_AT, 90, flat).figure).toBe(good);
  });

  it('chooses the same UNAVAILABLE figure whatever order failed sources arrive in', () => {
    const a = unavailable('dorset', 'alpha', 'UPSTREAM_TIMEOUT');
    const b = unavailable('dorset', 'beta', 'CIRCUIT_OPEN');
    const one = selectFigure([a, b], 'UNACCOUNTED', AS_AT, 90, flat).figure;
    const other = selectFigure([b, a], 'UNACCOUNTED', AS_AT, 90, flat).figure;
    expect(other).toBe(one);
  });

  it('prefers the failure of the more trusted source', () => {
    const a = unavailable('dorset', 'alpha');
    const b = unavailable('dorset', 'beta');
    const priority = (id: string) => (id === 'beta' ? 5 : 0);
    expect(selectFigure([a, b], 'UNACCOUNTED', AS_AT, 90, priority).figure).toBe(b);
  });
});

describe('figuresBetween', () => {
  it('lists figures whose period starts within the range, oldest first', () => {
    const a = figure('dorset', '2013-10-09', 5);
    const b = figure('dorset', '2015-03', 4);
    const c = figure('dorset', '2018-01-17', 5);
    const d = figure('dorset', '2018-01-18', 6);
    const failed = unavailable('dorset');
    expect(figuresBetween([d, c, failed, a, b], 'UNACCOUNTED', '2013-10-09', '2018-01-17', flat)).toEqual([
      a,
      b,
      c,
    ]);
  });

  it('orders figures on the same start by precision then priority', () => {
    const month = figure('dorset', '2018-01', 4, { sourceId: 'a' });
    const day = figure('dorset', '2018-01-01', 5, { sourceId: 'b' });
    expect(figuresBetween([day, month], 'UNACCOUNTED', '2018-01-01', '2018-01-31', flat)).toEqual([
      month,
      day,
    ]);
  });
});

describe('selectBreakdowns', () => {
  it('chooses the latest breakdown of each dimension in the window, ordered by dimension', () => {
    const yearOld = breakdown('dorset', '2017-12-01');
    const yearNew = breakdown('dorset', '2018-01-17');
    const mappa = breakdown('dorset', '2018-01-10', {
      dimension: 'MAPPA_LEVEL',
      status: 'WITHHELD',
      cells: [],
    });
    const offence = breakdown('dorset', '2018-01-10', { dimension: 'OFFENCE_CATEGORY' });
    expect(selectBreakdowns([yearOld, offence, yearNew, mappa], AS_AT, 90, flat)).toEqual([
      mappa,
      offence,
      yearNew,
    ]);
  });

  it('leaves out breakdowns after the date or older than the window', () => {
    expect(
      selectBreakdowns(
        [breakdown('dorset', '2018-01-18'), breakdown('dorset', '2013-10-09')],
        AS_AT,
        90,
        flat,
      ),
    ).toEqual([]);
  });

  it('filters to one dimension when asked', () => {
    const year = breakdown('dorset', '2018-01-17');
    const mappa = breakdown('dorset', '2018-01-17', { dimension: 'MAPPA_LEVEL' });
    expect(selectBreakdowns([year, mappa], AS_AT, 90, flat, 'MAPPA_LEVEL')).toEqual([mappa]);
  });
});
