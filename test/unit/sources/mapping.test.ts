import { describeField, mapRow, pickPath } from '../../../src/sources/mapping';
import { sourceConfig } from './shapes/context';

describe('pickPath', () => {
  const payload = { data: { forces: [{ id: 'dorset', count: { value: 5 } }] } };

  it('reads a dotted path through objects and array indexes', () => {
    expect(pickPath(payload, 'data.forces.0.count.value')).toBe(5);
    expect(pickPath(payload, 'data.forces.0.id')).toBe('dorset');
  });

  it('reads a column label that holds dots as one name before it tries a path', () => {
    const row = Object.assign(Object.create(null) as Record<string, unknown>, { 'No. of RSOs': '12' });
    expect(pickPath(row, 'No. of RSOs')).toBe('12');
    expect(pickPath({ 'a.b': 1, a: { b: 2 } }, 'a.b')).toBe(1);
    expect(pickPath({ a: { b: 2 } }, 'a.b')).toBe(2);
  });

  it('gives undefined for a path that is not there', () => {
    expect(pickPath(payload, 'data.forces.1.id')).toBeUndefined();
    expect(pickPath(payload, 'data.nothing.here')).toBeUndefined();
    expect(pickPath(null, 'a')).toBeUndefined();
    expect(pickPath('text', 'length')).toBeUndefined();
  });

  it('reads own properties only, so a mapping cannot reach __proto__ or constructor', () => {
    expect(pickPath({}, '__proto__')).toBeUndefined();
    expect(pickPath({}, 'constructor.name')).toBeUndefined();
    expect(pickPath([], 'length')).toBe(0);
    expect(pickPath({ a: {} }, 'a.toString')).toBeUndefined();
  });
});

describe('mapRow: the declarative mapping', () => {
  const config = sourceConfig({
    mapping: { forceId: 'force.slug', asAt: 'date', unaccounted: 'value' },
    constants: { basis: 'WANTED' },
  });
  const fields = ['forceId', 'asAt', 'basis', 'unaccounted', 'registered'];

  it('takes each field from its mapped source field, or from its constant', () => {
    const row = { force: { slug: 'dorset' }, date: '2018-01-17', value: 5 };
    expect(mapRow(row, config, fields)).toEqual({
      forceId: 'dorset',
      asAt: '2018-01-17',
      basis: 'WANTED',
      unaccounted: 5,
    });
  });

  it('drops every field the mapping does not name, such as a name or an address', () => {
    const row = {
      force: { slug: 'dorset', officer: 'PC Plod' },
      date: '2018-01-17',
      value: 5,
      name: 'John Smith',
      address: 'x',
    };
    const mapped = mapRow(row, config, fields);
    expect(Object.keys(mapped).sort()).toEqual(['asAt', 'basis', 'forceId', 'unaccounted']);
    expect(JSON.stringify(mapped)).not.toMatch(/John|Plod/);
  });

  it('treats null and empty text as absent, but keeps zero and false', () => {
    expect(mapRow({ force: { slug: '' }, date: null, value: 0 }, config, fields)).toEqual({
      basis: 'WANTED',
      unaccounted: 0,
    });
  });

  it('lets a constant win over a mapping of the same field', () => {
    const both = sourceConfig({
      mapping: { forceId: 'force', asAt: 'date', unaccounted: 'v' },
      constants: { forceId: 'dorset' },
    });
    expect(mapRow({ force: 'hampshire', date: '2018', v: 1 }, both, ['forceId'])).toEqual({
      forceId: 'dorset',
    });
  });
});

describe('describeField: how errors name a field', () => {
  const config = sourceConfig({
    mapping: { forceId: 'force', asAt: 'asAt', unaccounted: 'value' },
    constants: { basis: 'WANTED' },
  });

  it('names the source field when it differs from ours', () => {
    expect(describeField(config, 'unaccounted')).toBe('"unaccounted" (source field "value")');
  });

  it('names only our field when the source uses the same name, or it is not mapped', () => {
    expect(describeField(config, 'asAt')).toBe('"asAt"');
    expect(describeField(config, 'registered')).toBe('"registered"');
  });

  it('says when the field came from a constant', () => {
    expect(describeField(config, 'basis')).toBe('"basis" (constant)');
  });
});
