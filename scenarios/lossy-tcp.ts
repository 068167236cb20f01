// TCP over a bad link: 5% loss, duplication and reordering. The application still gets
// every byte once and in order; the timeline (and the pcap, with --pcap) shows the
// retransmissions, duplicate ACKs and the congestion window at work. Set the seed to see
// another run of the same weather; sweep the loss (and the congestion control) to see what
// it costs:
//   bpfsim sweep lossy-tcp --param loss=0,0.01,0.05 --seeds 1..3 --metric transfer_ms
//   bpfsim sweep lossy-tcp --param loss=0,0.05,0.1 --param cc=cubic,bbr --metric transfer_ms
// docs/lossy-tcp.md has the sweep beside Linux's own times on the same kind of link.
import { scenario } from '@bpfsim/scenario';

export default scenario({
  name: 'lossy-tcp',
  // At 20% loss each way a transfer may wait out several backed-off RTOs.
  timeLimitMs: 600_000,
  lesson: 'TCP on a lossy, reordering link: retransmissions in the pcap, every byte delivered once and in order',
  about: 'A client sends 256 KiB to a server over a 10 Mb/s link with 5 ms delay that loses, duplicates and reorders 5% of frames. Run with --trace 3 to see each segment, or --pcap DIR to open the capture in Wireshark (tcp.analysis.retransmission).',
  async run(w) {
    const a = w.host('client');
    const b = w.host('server');
    const loss = w.param('loss', 0.05);
    // The weather's other knobs (bandwidth 0: no limit), and the sender's congestion control.
    const bandwidth = w.param('bandwidth', 10_000_000);
    const cc = w.param('cc', 'cubic');
    w.link(a, b, { a: ['10.0.0.1/24'], b: ['10.0.0.2/24'], delay: `${w.param('delay', 5)}ms`, ...(bandwidth > 0 ? { bandwidth } : {}), loss, duplicate: w.param('duplicate', 0.05), reorder: w.param('reorder', 0.05) });
    let retransmits = 0;
    w.net.events.on('tcp:retransmit', () => retransmits++);
    const size = 256 * 1024;
    const data = Uint8Array.from({ length: size }, (_, i) => (i * 31 + (i >> 8)) & 0xff);
    const got: Uint8Array[] = [];
    const server = w.process(b, { comm: 'sink' }, async (p) => {
      const l = p.socket(4, 'tcp');
      p.bind(l, '0.0.0.0:9000');
      p.listen(l);
      const c = await p.accept(l);
      for (;;) {
        const d = await p.recv(c);
        if (!d.length) break;
        got.push(d);
      }
    });
    await w.sleep(1);
    const start = w.net.sim.now;
    await w.process(a, { comm: 'source' }, async (p) => {
      const s = p.socket(4, 'tcp');
      // TCP_CONGESTION (SOL_TCP 6, option 13): this socket's congestion control.
      p.setsockopt(s, 6, 13, cc);
      await p.connect(s, '10.0.0.2:9000');
      // One blocking send of it all (it waits while the send buffer is full), as the
      // recording of Linux does.
      await p.sendAll(s, data);
      p.shutdown(s, 1);
    });
    await server;
    // From connect() to the server reading end of file: what the loss costs the application.
    w.metric('transfer_ms', (w.net.sim.now - start) / 1e6);
    const all = new Uint8Array(got.reduce((n, d) => n + d.length, 0));
    let at = 0;
    for (const d of got) {
      all.set(d, at);
      at += d.length;
    }
    w.note(`${retransmits} retransmissions`);
    w.expect(all.length, 'every byte arrived').toBe(size);
    w.expect(all.every((x, i) => x === data[i]), 'once, and in order').toBe(true);
    if (loss >= 0.05) w.expect(retransmits, 'the link made TCP retransmit').toBeGreaterThan(0);
  },
});
