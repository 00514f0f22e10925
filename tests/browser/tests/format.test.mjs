// The portal's date logic, run in Node on the portal's own module: when a
// legal deadline counts as passed ("Termijn verstreken"). Today is the
// calendar day in Europe/Amsterdam, whatever the clock's time zone.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { daysUntil, overdue } from '../../../portal/src/js/format.js';

const open = (deadline, group = 'in_progress') => ({
  isOpen: true, status: { group }, dates: { legalDeadline: { date: deadline, meaning: 'legal_deadline' } },
});

describe('overdue (Termijn verstreken)', () => {
  test('the deadline day itself still counts; the day after it has passed', () => {
    const noon = new Date('2026-03-10T11:00:00Z');
    assert.equal(overdue(open('2026-03-10'), noon), null, 'on the day: not yet');
    assert.equal(overdue(open('2026-03-11'), noon), null, 'tomorrow: not yet');
    assert.deepEqual(overdue(open('2026-03-09'), noon), { date: '2026-03-09', days: 1 });
    assert.deepEqual(overdue(open('2026-02-08'), noon), { date: '2026-02-08', days: 30 });
  });

  test('"today" is the day in Amsterdam, in winter and in summer time', () => {
    // 23:30 UTC on 1 March is 00:30 on 2 March in Amsterdam (CET, +1).
    assert.deepEqual(overdue(open('2026-03-01'), new Date('2026-03-01T23:30:00Z')), { date: '2026-03-01', days: 1 });
    // 22:30 UTC on 1 March is still 1 March (23:30) in Amsterdam.
    assert.equal(overdue(open('2026-03-01'), new Date('2026-03-01T22:30:00Z')), null);
    // 22:30 UTC on 30 June is 00:30 on 1 July in Amsterdam (CEST, +2).
    assert.deepEqual(overdue(open('2026-06-30'), new Date('2026-06-30T22:30:00Z')), { date: '2026-06-30', days: 1 });
    assert.equal(overdue(open('2026-06-30'), new Date('2026-06-30T21:30:00Z')), null);
    assert.equal(daysUntil('2026-03-29', new Date('2026-03-28T23:30:00Z')), 0, 'across the switch to summer time');
  });

  test('only an open case that still waits for a decision', () => {
    const now = new Date('2026-03-10T11:00:00Z');
    for (const g of ['received', 'in_progress', 'action_required', 'on_hold']) {
      assert.ok(overdue(open('2026-03-01', g), now), `${g}: waiting for a decision`);
    }
    for (const g of ['decided', 'closed', 'withdrawn']) {
      assert.equal(overdue(open('2026-03-01', g), now), null, `${g}: no decision pending`);
    }
    assert.ok(overdue(open('2026-03-01', 'under_review'), now), 'an unknown group counts as waiting');
    assert.equal(overdue({ ...open('2026-03-01'), isOpen: false }, now), null, 'a closed case');
    assert.equal(overdue({ isOpen: true, status: { group: 'in_progress' }, dates: {} }, now), null, 'no legal deadline');
    assert.equal(overdue({ isOpen: true, status: { group: 'in_progress' }, dates: { plannedEnd: { date: '2026-03-01' } } }, now), null, 'an indicative date never counts');
    assert.equal(overdue(open('1 maart 2026'), now), null, 'not an ISO date');
    assert.equal(overdue(null, now), null);
  });
});
