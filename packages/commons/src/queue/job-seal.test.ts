import assert from 'node:assert/strict';
import { test } from 'node:test';
import { jobSeal, sealHolds } from './job-seal.js';
import type { RecordJobData } from './record-jobs.js';

const SECRET = 'a-job-seal-secret-of-at-least-32-characters';
const job: Pick<RecordJobData, 'draftId' | 'fingerprint' | 'placed' | 'attachments'> = {
  draftId: '6f1c2a52-3c8e-4f7e-9a51-2d3f4b5c6d7e',
  fingerprint: 'a'.repeat(64),
  placed: true,
  attachments: [{ index: 0, type: 'BIRTH_NOTIFICATION', subject: 'CHILD', contentType: 'image/png', size: 69, sha256: 'b'.repeat(64) }],
};

test('a seal holds for the facts it was made of, under its key', () => {
  const seal = jobSeal(SECRET, job);
  assert.match(seal, /^[0-9a-f]{64}$/);
  assert.equal(sealHolds(SECRET, { ...job, seal }), true);
  assert.equal(jobSeal(SECRET, { ...job }), seal, 'the same facts, the same seal');
});

test('a seal does not hold under another key, absent, malformed, or once any sealed fact changed', () => {
  const seal = jobSeal(SECRET, job);
  assert.equal(sealHolds(`${SECRET}x`, { ...job, seal }), false, 'another key');
  assert.equal(sealHolds(SECRET, job), false, 'no seal');
  assert.equal(sealHolds(SECRET, { ...job, seal: seal.slice(0, 62) }), false, 'too short');
  assert.equal(sealHolds(SECRET, { ...job, seal: 'zz' + seal.slice(2) }), false, 'not hex');
  const a = job.attachments[0]!;
  const changed: Array<[string, Parameters<typeof sealHolds>[1]]> = [
    ['draftId', { ...job, seal, draftId: '7f1c2a52-3c8e-4f7e-9a51-2d3f4b5c6d7e' }],
    ['fingerprint', { ...job, seal, fingerprint: 'c'.repeat(64) }],
    ['placed', { ...job, seal, placed: undefined }],
    ['one attachment more', { ...job, seal, attachments: [a, { ...a, index: 1 }] }],
    ['none', { ...job, seal, attachments: [] }],
    ...(['index', 'type', 'subject', 'contentType', 'size', 'sha256'] as const).map((field): [string, Parameters<typeof sealHolds>[1]] => [
      field,
      { ...job, seal, attachments: [{ ...a, [field]: typeof a[field] === 'number' ? (a[field]) + 1 : field === 'sha256' ? 'd'.repeat(64) : `${a[field]}x` }] },
    ]),
  ];
  for (const [what, data] of changed) assert.equal(sealHolds(SECRET, data), false, what);
});
