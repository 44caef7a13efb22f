import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  ForceRegistry,
  ForceRegistryError,
  loadBundledPopulations,
  loadDefaultRegistry,
  readForcesCsv,
} from '../../../src/domain/force-registry';
import { force } from './builders';

describe('the default registry', () => {
  const registry = loadDefaultRegistry();

  it('holds the 45 UK territorial forces, sorted by id', () => {
    expect(registry.size).toBe(45);
    const ids = registry.all.map((f) => f.id);
    expect(ids).toEqual([...ids].sort((a, b) => a.localeCompare(b)));
    expect(ids).toEqual(
      expect.arrayContaining(['dorset', 'metropolitan', 'police-scotland', 'northern-ireland']),
    );
  });

  it('leaves out British Transport Police, which is not territorial', () => {
    expect(registry.has('btp')).toBe(false);
  });

  it('counts 43 forces in England and Wales, one in Scotland and one in Northern Ireland', () => {
    const byNation = (n: string) => registry.all.filter((f) => f.nation === n).length;
    expect(byNation('England') + byNation('Wales')).toBe(43);
    expect(byNation('Wales')).toBe(4);
    expect(byNation('Scotland')).toBe(1);
    expect(byNation('Northern Ireland')).toBe(1);
  });

  it('carries each force’s name, GSS code and region', () => {
    expect(registry.get('dorset')).toMatchObject({
      name: 'Dorset Police',
      gssCode: 'E23000039',
      nation: 'England',
    });
    expect(registry.get('dorset')?.region).toBe('South West');
  });

  it('gives a population where one is published, and none for Scotland and Northern Ireland', () => {
    expect(registry.get('dorset')?.population?.value).toBeGreaterThan(500_000);
    expect(registry.get('dorset')?.population?.label).toMatch(/House of Commons Library SN00634/);
    expect(registry.get('police-scotland')?.population).toBeNull();
    expect(registry.get('northern-ireland')?.population).toBeNull();
    expect(registry.all.filter((f) => f.population === null).map((f) => f.id)).toEqual([
      'northern-ireland',
      'police-scotland',
    ]);
  });

  it('is immutable', () => {
    expect(Object.isFrozen(registry.all)).toBe(true);
    expect(Object.isFrozen(registry.get('dorset'))).toBe(true);
  });
});

describe('ForceRegistry', () => {
  it('rejects a duplicate force id', () => {
    expect(() => new ForceRegistry([force('a'), force('a')])).toThrow(
      new ForceRegistryError('duplicate force id "a"'),
    );
  });

  it('names unknown ids in the order given, without repeats', () => {
    const registry = new ForceRegistry([force('a'), force('b')]);
    expect(registry.unknownIds(['x', 'a', 'y', 'x'])).toEqual(['x', 'y']);
  });

  it('extends with extra forces, replacing an entry with the same id', () => {
    const registry = new ForceRegistry([force('a'), force('b')]);
    const extended = registry.extendedWith([force('c'), force('a', { name: 'Renamed' })]);
    expect(extended.all.map((f) => f.id)).toEqual(['a', 'b', 'c']);
    expect(extended.get('a')?.name).toBe('Renamed');
    expect(registry.size).toBe(2);
  });
});

describe('readForcesCsv', () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'whereabouts-forces-'));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  function write(name: string, text: string): string {
    const file = path.join(dir, name);
    fs.writeFileSync(file, text);
    return file;
  }

  it('reads forces and skips non-territorial rows', () => {
    const file = write(
      'ok.csv',
      'id,name,gss_code,nation,region\njersey,States of Jersey Police,,England,Islands\nbtp,BTP,,Great Britain,GB\n',
    );
    expect(readForcesCsv(file)).toEqual([
      {
        id: 'jersey',
        name: 'States of Jersey Police',
        gssCode: null,
        nation: 'England',
        region: 'Islands',
        population: null,
      },
    ]);
  });

  it('names the file, row and field of a bad row, and what is accepted', () => {
    const file = write(
      'bad.csv',
      'id,name,gss_code,nation,region\nok-force,OK,,England,X\nBad Id,Bad,,England,X\n',
    );
    expect(() => readForcesCsv(file)).toThrow(
      new ForceRegistryError(
        'bad.csv row 3: field "id" a lower-case slug such as "dorset" or "avon-and-somerset"',
      ),
    );
  });
});

describe('loadBundledPopulations', () => {
  it('has a population for every force in England and Wales', () => {
    const populations = loadBundledPopulations();
    const ew = loadDefaultRegistry().all.filter((f) => f.nation === 'England' || f.nation === 'Wales');
    expect(ew.filter((f) => !populations.has(f.id))).toEqual([]);
  });
});
