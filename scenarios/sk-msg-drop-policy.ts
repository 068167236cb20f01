// A data-loss-prevention policy at the socket: an SK_MSG program looks at the first bytes
// of every message a service sends and drops the ones that start with a forbidden marker.
// The sender's send() fails with EACCES — and, as on Linux, the drop verdict then sticks to
// the socket: the service has to reconnect. Other connections are not affected.
import { scenario } from '@bpfsim/scenario';

/** Drop messages starting with "SECRET" (the first 6 bytes); pass the rest. */
const DLP = `
  r2 = *(u64 *)(r1 + 0)        // data
  r3 = *(u64 *)(r1 + 8)        // data_end
  r4 = r2
  r4 += 6
  r0 = 1
  if r4 > r3 goto out          // shorter than the marker: pass
  r5 = *(u32 *)(r2 + 0)
  if w5 != 0x52434553 goto out // "SECR"
  r5 = *(u16 *)(r2 + 4)
  if w5 != 0x5445 goto out     // "ET"
  r0 = 0                       // SK_DROP
out:
  exit`;

export default scenario({
  name: 'sk-msg-drop-policy',
  lesson: 'SK_MSG as a content policy: messages starting with a marker are dropped with EACCES, and the drop sticks',
  about: 'A service’s connection is in a sockmap with a verdict program that reads the first 6 bytes of each message (direct packet access to data..data_end). Ordinary messages pass; one starting with SECRET is dropped; the next send on that socket fails too, because a drop verdict stays in force on the psock. A new connection starts clean.',
  async run(w) {
    const h = w.host('h');
    const socks = w.map(h, 'socks', { type: 'sockmap', keySize: 4, valueSize: 8, maxEntries: 4 });
    w.program(h, { name: 'dlp', type: 'sk_msg', asm: DLP, maps: { socks } }).attachToMap(socks);
    const got: string[] = [];
    void w.process(h, { comm: 'collector' }, async (p) => {
      const l = p.socket(4, 'tcp');
      p.bind(l, '127.0.0.1:5140');
      p.listen(l);
      for (;;) {
        const c = await p.accept(l);
        void (async () => {
          for (;;) {
            const t = await p.recvText(c);
            if (!t) break;
            got.push(t);
          }
        })();
      }
    });
    await w.sleep(1);
    await w.process(h, { comm: 'service' }, async (p) => {
      const s = p.socket(4, 'tcp');
      await p.connect(s, '127.0.0.1:5140');
      w.addToSockmap(socks, 0, p, s);
      p.send(s, 'user logged in\n');
      await w.expectErrno(() => p.send(s, 'SECRET api key 1234\n'), 'EACCES', 'a message starting with SECRET is dropped');
      await w.expectErrno(() => p.send(s, 'user logged out\n'), 'EACCES', 'and the drop verdict sticks to this socket');
      const s2 = p.socket(4, 'tcp');
      await p.connect(s2, '127.0.0.1:5140');
      w.addToSockmap(socks, 1, p, s2);
      p.send(s2, 'user logged out\n');
      await p.sleep(1);
    });
    w.expect(got.join(''), 'the collector got the ordinary messages only').toBe('user logged in\nuser logged out\n');
  },
});
