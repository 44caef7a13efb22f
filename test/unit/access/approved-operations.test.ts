import { ApprovedOperations, loadApprovedOperations } from '../../../src/access/approved-operations';

describe('approved operations by document id', () => {
  const all = loadApprovedOperations();
  const approved = new ApprovedOperations(all);
  const op = all[0]!;

  test('the id is found as clients send it: lowercase hex, upper case, or with the sha256: prefix', () => {
    expect(approved.bySha256(op.sha256)).toBe(op);
    expect(approved.bySha256(op.sha256.toUpperCase())).toBe(op);
    expect(approved.bySha256(`sha256:${op.sha256}`)).toBe(op);
    expect(approved.bySha256(`sha256:${op.sha256.toUpperCase()}`)).toBe(op);
  });

  test('every approved operation has its own id, and an unknown or altered id names none', () => {
    for (const each of all) expect(approved.bySha256(each.sha256)).toBe(each);
    expect(approved.bySha256('0'.repeat(64))).toBeUndefined();
    expect(approved.bySha256(`${op.sha256.slice(0, -1)}x`)).toBeUndefined();
    expect(approved.bySha256(`md5:${op.sha256}`)).toBeUndefined();
    expect(approved.bySha256('')).toBeUndefined();
  });
});
