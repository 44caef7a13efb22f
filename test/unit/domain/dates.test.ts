import {
  AS_AT_FORMATS,
  daysBetween,
  isCalendarDay,
  minusDays,
  parseAsAt,
  todayIso,
} from '../../../src/domain/dates';

describe('isCalendarDay', () => {
  it.each(['2018-01-17', '2016-02-29', '2000-02-29', '2018-12-31'])('accepts the real day %s', (iso) => {
    expect(isCalendarDay(iso)).toBe(true);
  });

  it.each(['2018-02-30', '2017-02-29', '1900-02-29', '2018-04-31', '2018-13-01', '2018-00-10', '2018-01-00'])(
    'rejects %s, which is not a day on the calendar',
    (iso) => {
      expect(isCalendarDay(iso)).toBe(false);
    },
  );

  it.each(['2018-1-17', '17/01/2018', '2018-01-17T00:00:00Z', ' 2018-01-17', '2018-01', ''])(
    'rejects %j, which is not written YYYY-MM-DD',
    (text) => {
      expect(isCalendarDay(text)).toBe(false);
    },
  );
});

describe('parseAsAt at the precision the source wrote', () => {
  it('reads a full date as a DAY covering only that day', () => {
    expect(parseAsAt('2018-01-17')).toEqual({
      date: '2018-01-17',
      precision: 'DAY',
      start: '2018-01-17',
      end: '2018-01-17',
    });
  });

  it('reads YYYY-MM as a MONTH from its first to its last day', () => {
    expect(parseAsAt('2015-03')).toEqual({
      date: '2015-03',
      precision: 'MONTH',
      start: '2015-03-01',
      end: '2015-03-31',
    });
  });

  it('ends February on the 29th in a leap year and the 28th otherwise', () => {
    expect(parseAsAt('2016-02')?.end).toBe('2016-02-29');
    expect(parseAsAt('2015-02')?.end).toBe('2015-02-28');
  });

  it('reads YYYY as a YEAR from 1 January to 31 December', () => {
    expect(parseAsAt('2013')).toEqual({
      date: '2013',
      precision: 'YEAR',
      start: '2013-01-01',
      end: '2013-12-31',
    });
  });

  it('ignores surrounding whitespace', () => {
    expect(parseAsAt('  2018-01-17 ')?.date).toBe('2018-01-17');
  });

  it('coarsens a full date to its month when the source says it is only good to the month', () => {
    expect(parseAsAt('2015-03-10', 'MONTH')).toEqual({
      date: '2015-03',
      precision: 'MONTH',
      start: '2015-03-01',
      end: '2015-03-31',
    });
  });

  it('coarsens a full date or a month to its year when the source says it is only good to the year', () => {
    expect(parseAsAt('2015-03-10', 'YEAR')?.date).toBe('2015');
    expect(parseAsAt('2015-03', 'YEAR')).toEqual({
      date: '2015',
      precision: 'YEAR',
      start: '2015-01-01',
      end: '2015-12-31',
    });
  });

  it('never makes a date finer than it was written (a DAY hint on a month stays a month)', () => {
    expect(parseAsAt('2015-03', 'DAY')?.precision).toBe('MONTH');
    expect(parseAsAt('2015', 'DAY')?.precision).toBe('YEAR');
  });

  it.each(['2018-02-30', '2018-13', '2018-00', '18-01-17', '2018/01/17', 'March 2015', '', 'unknown'])(
    'returns null for %j so that validation can name the field',
    (text) => {
      expect(parseAsAt(text)).toBeNull();
    },
  );

  it('names the accepted formats for error messages', () => {
    expect(AS_AT_FORMATS).toBe('YYYY-MM-DD (day), YYYY-MM (month) or YYYY (year)');
  });
});

describe('daysBetween and minusDays', () => {
  it('counts whole days forwards and backwards', () => {
    expect(daysBetween('2018-01-01', '2018-01-17')).toBe(16);
    expect(daysBetween('2018-01-17', '2018-01-01')).toBe(-16);
    expect(daysBetween('2018-01-17', '2018-01-17')).toBe(0);
  });

  it('counts across a leap day and a year end', () => {
    expect(daysBetween('2016-02-28', '2016-03-01')).toBe(2);
    expect(daysBetween('2017-12-31', '2018-01-01')).toBe(1);
    expect(daysBetween('2015-03-01', '2018-01-17')).toBe(1053);
  });

  it('is not thrown off by daylight saving (all arithmetic is UTC)', () => {
    expect(daysBetween('2018-03-24', '2018-03-26')).toBe(2);
    expect(daysBetween('2018-10-27', '2018-10-29')).toBe(2);
  });

  it('minusDays is the inverse of daysBetween', () => {
    expect(minusDays('2018-01-17', 90)).toBe('2017-10-19');
    expect(daysBetween(minusDays('2018-01-17', 90), '2018-01-17')).toBe(90);
  });

  it('todayIso gives the UTC calendar day', () => {
    expect(todayIso(new Date('2018-01-17T23:59:59.999Z'))).toBe('2018-01-17');
  });

  it.each([
    '2018-01-17T00:00:00.000Z',
    '2016-02-29T12:00:00.000Z',
    '2000-12-31T23:59:59.999Z',
    '1970-01-01T00:00:00.000Z',
    '1000-01-01T00:00:00.000Z',
    '0999-12-31T23:59:59.999Z',
    '9999-12-31T23:59:59.999Z',
    '+010000-01-01T00:00:00.000Z',
    '-000001-06-15T00:00:00.000Z',
  ])('todayIso(%s) is the day toISOString gives', (iso) => {
    const date = new Date(iso);
    expect(todayIso(date)).toBe(date.toISOString().slice(0, 10));
  });

  it('todayIso of an invalid date throws as toISOString does', () => {
    expect(() => todayIso(new Date(Number.NaN))).toThrow(RangeError);
  });
});
