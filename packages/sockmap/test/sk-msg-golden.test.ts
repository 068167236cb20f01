// bpfsim's SK_MSG send path against the live kernel (golden/kernel-sk-msg.json, recorded by
// npm run test:kernel with real loopback TCP sockets): sendmsg's return values and where the
// bytes went, for verdicts, redirects, apply/cork bytes and pull/pop/push data.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { SkMsgGolden } from './sk-msg-cases';
import { comparable } from './sk-msg-cases';
import { replaySkMsg } from './sk-msg-replay';

const g = JSON.parse(fs.readFileSync(path.join(__dirname, 'golden/kernel-sk-msg.json'), 'utf8')) as SkMsgGolden;

describe(`SK_MSG verdicts as Linux ${g.kernel} ran them`, () => {
  test.each(g.cases.map((c, i) => [c.id, c, g.results[i]!] as const))('%s', (_id, c, k) => {
    expect(comparable(c, replaySkMsg(c))).toEqual(comparable(c, k));
  });
});
