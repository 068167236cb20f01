// What an SK_MSG program sees of sendfile(), then and now. On Linux 4.17 sendfile went
// through tcp_bpf_sendpage(): the file's pages were not copied, and the program saw
// data == data_end (nothing to read) until it called bpf_msg_pull_data(). Since 6.5
// sendfile is splice into sendmsg, and the program sees the bytes as with send(). The same
// program runs on both kernel profiles here.
import { scenario } from '@bpfsim/scenario';
import type { World } from '@bpfsim/scenario';

/** seen[0] = data_end - data before pull_data, seen[1] = after pull_data(0, 4). */
const PROBE = `
  r6 = r1
  r2 = *(u64 *)(r6 + 0)
  r7 = *(u64 *)(r6 + 8)
  r7 -= r2
  r1 = 0
  *(u32 *)(r10 - 4) = r1
  r2 = r10
  r2 += -4
  r1 = seen ll
  call bpf_map_lookup_elem
  if r0 == 0 goto out
  *(u64 *)(r0 + 0) = r7
  r1 = r6
  r2 = 0
  r3 = 4
  r4 = 0
  call bpf_msg_pull_data
  r2 = *(u64 *)(r6 + 0)
  r7 = *(u64 *)(r6 + 8)
  r7 -= r2
  r1 = 1
  *(u32 *)(r10 - 4) = r1
  r2 = r10
  r2 += -4
  r1 = seen ll
  call bpf_map_lookup_elem
  if r0 == 0 goto out
  *(u64 *)(r0 + 0) = r7
out:
  r0 = 1
  exit`;

/** Sends a 100-byte "file" with sendfile() through PROBE on a host of `profile`; what it saw. */
async function sendfileView(w: World, name: string, profile: '6.18' | '4.17'): Promise<number[]> {
  const h = w.host(name, { profile });
  const socks = w.map(h, 'socks', { type: 'sockmap', keySize: 4, valueSize: 8, maxEntries: 2 });
  const seen = w.map(h, 'seen', { type: 'array', keySize: 4, valueSize: 8, maxEntries: 2 });
  w.program(h, { name: 'probe', type: 'sk_msg', asm: PROBE, maps: { seen, socks } }).attachToMap(socks);
  void w.process(h, { comm: 'client' }, async (p) => {
    const l = p.socket(4, 'tcp');
    p.bind(l, '127.0.0.1:8000');
    p.listen(l);
    await p.recv(await p.accept(l));
  });
  await w.sleep(1);
  await w.process(h, { comm: 'nginx' }, async (p) => {
    const s = p.socket(4, 'tcp');
    await p.connect(s, '127.0.0.1:8000');
    w.addToSockmap(socks, 0, p, s);
    p.sendfile(s, new Uint8Array(100).fill(0x41));
  });
  const read = (i: number): number => Number(new DataView(seen.handle.lookup(i)!.buffer).getBigUint64(0, true));
  return [read(0), read(1)];
}

export default scenario({
  name: 'sendfile-profiles',
  lesson: 'sendfile through SK_MSG: 4.17 shows no bytes until pull_data, current Linux shows them all',
  about: 'The same program runs on a 6.18 kernel and on a 4.17 one: it records data_end - data, then calls bpf_msg_pull_data(0, 4) and records it again. Run it with the profile of your kernel in mind when you read old SK_MSG examples: their pull_data calls were needed for sendfile.',
  async run(w) {
    const now = await sendfileView(w, 'linux-6-18', '6.18');
    w.note(`6.18: data_end - data = ${now[0]} before pull_data, ${now[1]} after pull_data(0, 4)`);
    w.expect(now, 'on 6.18 the program sees the 100 bytes at once, and pull_data narrows the view to [0, 4)').toEqual([100, 4]);
    const then = await sendfileView(w, 'linux-4-17', '4.17');
    w.note(`4.17: data_end - data = ${then[0]} before pull_data, ${then[1]} after pull_data(0, 4)`);
    w.expect(then, 'on 4.17 it sees nothing until pull_data copies the bytes in').toEqual([0, 4]);
  },
});
