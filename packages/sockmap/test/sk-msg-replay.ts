// Replays an SK_MSG case in bpfsim's send path, with a transport that records what goes out
// on which socket (the Linux probe reads it at the peers).
import { SysError } from '@bpfsim/isa';
import { BpfClient } from '@bpfsim/kernel';
import { Network } from '@bpfsim/net';
import { installSockmap, skMsgSendmsg, takeIngress } from '../src';
import type { SkMsgCase, SkMsgResult } from './sk-msg-cases';
import { PRELUDE } from './sk-msg-cases';
import { makeSock } from './sockmap-replay';

const hex = (b: number[]): string => Buffer.from(b).toString('hex');

export function replaySkMsg(c: SkMsgCase): SkMsgResult {
  const net = new Network({ seed: 2 });
  const host = net.addHost('h');
  const k = host.kernel;
  installSockmap(k);
  const p = k.spawn({ comm: 'probe' });
  const cl = new BpfClient(k, p);
  const m = cl.createMap({ type: 'sockmap', keySize: 4, valueSize: 8, maxEntries: 4 });
  const stats = cl.createMap({ type: 'array', keySize: 4, valueSize: 8, maxEntries: 4 });
  let prog;
  try {
    prog = cl.loadProgram({ type: 'sk_msg', maps: { m, stats }, insns: `${PRELUDE}\n${c.body}` });
  } catch (e) {
    if (e instanceof SysError) return { error: `load:${e.code}` };
    throw e;
  }
  prog.attachToMap(m, 'sk_msg_verdict');
  const a = makeSock(host, p, 'tcp-est');
  const b = makeSock(host, p, 'tcp-est');
  m.update(0, BigInt(a.fd));
  m.update(1, BigInt(b.fd));
  const aPeer: number[] = [];
  const bPeer: number[] = [];
  const t = {
    push(sk: unknown, data: Uint8Array): number {
      (sk === a.sk ? aPeer : bPeer).push(...data);
      return 0;
    },
  };
  const sends: (number | string)[] = [];
  let at = 0;
  for (const n of c.sends) {
    const data = Uint8Array.from({ length: n }, (_, i) => (at + i) & 0xff);
    at += n;
    try {
      // sendfile: the profile decides the view (KERNEL_PROFILES), as TcpSock.sendfile does.
      sends.push(skMsgSendmsg(k, a.sk, data, t, { sharedPages: c.via === 'sendfile' && k.profile === '4.17' }));
    } catch (e) {
      if (!(e instanceof SysError)) throw e;
      sends.push(e.code);
    }
  }
  const ingress: number[] = [];
  for (let x = takeIngress(b.sk, 1 << 20); x; x = takeIngress(b.sk, 1 << 20)) ingress.push(...x);
  const stat = (i: number): number => Number(new DataView(stats.lookup(i)!.buffer).getBigInt64(0, true));
  return { sends, aPeer: hex(aPeer), bPeer: hex(bPeer), bIngress: hex(ingress), stats: [0, 1, 2, 3].map(stat) };
}
