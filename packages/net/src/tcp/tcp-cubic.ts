// CUBIC (net/ipv4/tcp_cubic.c), Linux's default congestion control, in its own integer
// arithmetic: beta 717/1024, C from bic_scale 41, fast convergence, the TCP-friendly region,
// the cubic's target recomputed at most once per jiffy, K by the table-and-Newton cube root
// — and HyStart (hystart_update): slow start ends when the ACKs of a round come as one
// train for longer than half the minimum delay, or when the round's smallest RTT rises by
// an eighth of it (4 to 16 ms).
import type { CcSock, CongestionOps } from './tcp-cong';
import { tcpCongAvoidAi, tcpSlowStart } from './tcp-cong';
import { HZ } from './tcp-timer';

const BETA = 717; // / BICTCP_BETA_SCALE (1024): cwnd after a loss ≈ 0.7 of before
const BETA_SCALE = 1024;
/** BICTCP_HZ: the cubic's time unit is 1/1024 s. */
const BICTCP_HZ = 10;
/** cube_rtt_scale = bic_scale * 10 (1024 × C / rtt with rtt 100 ms). */
const CUBE_RTT_SCALE = 41 * 10;
/** beta_scale = 8 * (1024 + 717) / 3 / (1024 - 717) = 15: the TCP-friendly region's slope. */
const FRIENDLY_SCALE = Math.floor(Math.floor((8 * (BETA_SCALE + BETA)) / 3) / (BETA_SCALE - BETA));
/** cube_factor = 2^(10 + 3 × BICTCP_HZ) / (bic_scale × 10): K's scale. */
const CUBE_FACTOR = Math.floor(2 ** 40 / CUBE_RTT_SCALE);
/** HyStart's parameters: both detections, from a window of 16, ACKs within 2 ms a train,
 * 8 RTT samples a round, the delay threshold clamped to 4–16 ms. */
const HYSTART_LOW_WINDOW = 16;
const HYSTART_ACK_DELTA_US = 2000;
const HYSTART_MIN_SAMPLES = 8;
const HYSTART_DELAY_MIN = 4000;
const HYSTART_DELAY_MAX = 16000;
/** GSO_MAX_SIZE, for hystart_ack_delay(). */
const GSO_MAX_SIZE = 65536;

/** struct bictcp, in segments, jiffies and µs. */
export interface CubicState {
  cnt: number;
  lastMaxCwnd: number;
  lastCwnd: number;
  lastTime: number;
  originPoint: number;
  /** K, in 1/1024 s from the epoch start. */
  k: number;
  delayMin: number;
  /** The epoch's first jiffy (0: none). */
  epochStart: number;
  ackCnt: number;
  tcpCwnd: number;
  // HyStart
  found: boolean;
  roundStart: number;
  endSeq: number;
  lastAck: number;
  currRtt: number;
  sampleCnt: number;
}

const usNow = (sk: CcSock): number => Math.floor(sk.ccNow / 1000);

/** bictcp_hystart_reset(): a new round starts now and ends at snd_nxt. */
function hystartReset(sk: CcSock, st: CubicState): void {
  st.roundStart = st.lastAck = usNow(sk);
  st.endSeq = sk.sndNxt;
  st.currRtt = 0xffffffff;
  st.sampleCnt = 0;
}

/** bictcp_reset() */
function bictcpReset(st: CubicState): void {
  st.cnt = 0;
  st.lastMaxCwnd = 0;
  st.lastCwnd = 0;
  st.lastTime = 0;
  st.originPoint = 0;
  st.k = 0;
  st.delayMin = 0;
  st.epochStart = 0;
  st.ackCnt = 0;
  st.tcpCwnd = 0;
  st.found = false;
}

/** cubictcp_init(), on first use: the round it starts is over at the first ACK of data. */
function state(sk: CcSock): CubicState {
  let st = sk.ccPriv as CubicState | undefined;
  if (!st) {
    st = { cnt: 0, lastMaxCwnd: 0, lastCwnd: 0, lastTime: 0, originPoint: 0, k: 0, delayMin: 0, epochStart: 0, ackCnt: 0, tcpCwnd: 0, found: false, roundStart: 0, endSeq: 0, lastAck: 0, currRtt: 0, sampleCnt: 0 };
    hystartReset(sk, st);
    st.endSeq = (sk.sndUna - 1) | 0;
    sk.ccPriv = st;
  }
  return st;
}

/** fls64() */
const fls = (a: number): number => (a === 0 ? 0 : Math.floor(Math.log2(a)) + 1);

/** cbrt(x) most significant bits for x in 0..63, from tcp_cubic.c's table. */
const CBRT_TABLE = [
  0, 54, 54, 54, 118, 118, 118, 118, 123, 129, 134, 138, 143, 147, 151, 156, 157, 161, 164, 168, 170, 173, 176, 179, 181, 185, 187, 190, 192, 194, 197, 199, 200, 202, 204, 206, 209, 211,
  213, 215, 217, 219, 221, 222, 224, 225, 227, 229, 231, 232, 234, 236, 237, 239, 240, 242, 244, 245, 246, 248, 250, 251, 252, 254,
];

/** cubic_root(): a table lookup and one Newton-Raphson step (about 0.2% off), as Linux. */
export function cubicRoot(a: number): number {
  let b = fls(a);
  if (b < 7) return (CBRT_TABLE[a]! + 35) >> 6;
  b = ((b * 84) >> 8) - 1;
  const shift = Math.floor(a / 2 ** (b * 3));
  let x = ((CBRT_TABLE[shift]! + 10) * 2 ** b) >>> 6;
  x = 2 * x + Math.floor(a / (x * (x - 1)));
  return Math.floor((x * 341) / 1024);
}

/** bictcp_update(): how many ACKed segments make cwnd grow by one (ca->cnt). */
function bictcpUpdate(sk: CcSock, st: CubicState, cwnd: number, acked: number): void {
  const jiffies = sk.jiffies;
  st.ackCnt += acked;
  if (st.lastCwnd === cwnd && jiffies - st.lastTime <= Math.floor(HZ / 32)) return;
  // The target is recomputed at most once per jiffy.
  if (!(st.epochStart && jiffies === st.lastTime)) {
    st.lastCwnd = cwnd;
    st.lastTime = jiffies;
    if (st.epochStart === 0) {
      st.epochStart = jiffies || 1;
      st.ackCnt = acked;
      st.tcpCwnd = cwnd;
      if (st.lastMaxCwnd <= cwnd) {
        st.k = 0;
        st.originPoint = cwnd;
      } else {
        st.k = cubicRoot(CUBE_FACTOR * (st.lastMaxCwnd - cwnd));
        st.originPoint = st.lastMaxCwnd;
      }
    }
    // t = now - epoch + delay_min (one RTT ahead), in 1/1024 s.
    let t = jiffies - st.epochStart + Math.ceil(st.delayMin / 4000);
    t = Math.floor((t * 2 ** BICTCP_HZ) / HZ);
    const offs = t < st.k ? st.k - t : t - st.k;
    const delta = Math.floor((CUBE_RTT_SCALE * offs * offs * offs) / 2 ** (10 + 3 * BICTCP_HZ));
    const target = t < st.k ? st.originPoint - delta : st.originPoint + delta;
    st.cnt = target > cwnd ? Math.floor(cwnd / (target - cwnd)) : 100 * cwnd;
    // No loss yet: grow at least 5% a RTT.
    if (st.lastMaxCwnd === 0 && st.cnt > 20) st.cnt = 20;
  }
  // TCP friendliness: never slower than Reno would be.
  const d = Math.floor((cwnd * FRIENDLY_SCALE) / 8);
  while (st.ackCnt > d) {
    st.ackCnt -= d;
    st.tcpCwnd++;
  }
  if (st.tcpCwnd > cwnd) {
    const maxCnt = Math.floor(cwnd / (st.tcpCwnd - cwnd));
    if (st.cnt > maxCnt) st.cnt = maxCnt;
  }
  st.cnt = Math.max(st.cnt, 2);
}

/** hystart_ack_delay(): what TSO/GRO may add to an ACK train (up to 1 ms). */
const hystartAckDelay = (sk: CcSock): number => (sk.pacingRate ? Math.min(1000, Math.floor((GSO_MAX_SIZE * 4 * 1e6) / sk.pacingRate)) : 0);

/** hystart_update(): the exit from slow start (ssthresh = cwnd) once a round shows the
 * path full — by its ACK train or by its RTT. */
function hystartUpdate(sk: CcSock, st: CubicState, delay: number): void {
  const segs = Math.max(1, Math.floor(sk.cwnd / sk.mss));
  if (((sk.sndUna - st.endSeq) | 0) > 0) hystartReset(sk, st);
  const now = usNow(sk);
  if (now - st.lastAck <= HYSTART_ACK_DELTA_US) {
    st.lastAck = now;
    // Without pacing a train may only take half the minimum delay.
    const threshold = (st.delayMin + hystartAckDelay(sk)) >> 1;
    if (now - st.roundStart > threshold) {
      st.found = true;
      sk.ssthresh = segs * sk.mss;
    }
  }
  if (st.currRtt > delay) st.currRtt = delay;
  if (st.sampleCnt < HYSTART_MIN_SAMPLES) st.sampleCnt++;
  else if (st.currRtt > st.delayMin + Math.min(Math.max(st.delayMin >> 3, HYSTART_DELAY_MIN), HYSTART_DELAY_MAX)) {
    st.found = true;
    sk.ssthresh = segs * sk.mss;
  }
}

const inSlowStart = (sk: CcSock): boolean => sk.cwnd < sk.ssthresh;

export const CUBIC: CongestionOps = {
  name: 'cubic',
  // cubictcp_recalc_ssthresh(), fast convergence on.
  ssthresh(sk) {
    const st = state(sk);
    const cwnd = Math.max(1, Math.floor(sk.cwnd / sk.mss));
    st.epochStart = 0;
    st.lastMaxCwnd = cwnd < st.lastMaxCwnd ? Math.floor((cwnd * (BETA_SCALE + BETA)) / (2 * BETA_SCALE)) : cwnd;
    return Math.max(Math.floor((cwnd * BETA) / BETA_SCALE), 2) * sk.mss;
  },
  // cubictcp_cong_avoid(): slow start up to ssthresh, the rest along the cubic.
  congAvoid(sk, acked) {
    if (inSlowStart(sk)) {
      acked = tcpSlowStart(sk, acked);
      if (acked <= 0) return;
    }
    const st = state(sk);
    const cwnd = Math.max(1, Math.floor(sk.cwnd / sk.mss));
    const segs = Math.max(1, Math.round(acked / sk.mss));
    bictcpUpdate(sk, st, cwnd, segs);
    tcpCongAvoidAi(sk, st.cnt, segs);
  },
  // cubictcp_acked(): the smallest delay, and HyStart's samples while in slow start.
  pktsAcked(sk, rttUs) {
    if (rttUs < 0) return;
    const st = state(sk);
    // Samples right after a reduction are discarded.
    if (st.epochStart && sk.jiffies - st.epochStart < HZ) return;
    const delay = rttUs || 1;
    if (st.delayMin === 0 || st.delayMin > delay) st.delayMin = delay;
    if (!st.found && inSlowStart(sk) && Math.floor(sk.cwnd / sk.mss) >= HYSTART_LOW_WINDOW) hystartUpdate(sk, st, delay);
  },
  // cubictcp_cwnd_event(CA_EVENT_TX_START): application-limited for a while, the epoch
  // moves on by the idle time, so cwnd keeps to the curve.
  txStart(sk, idleJiffies) {
    const st = sk.ccPriv as CubicState | undefined;
    if (!st || !st.epochStart || idleJiffies <= 0) return;
    st.epochStart += idleJiffies;
    if (st.epochStart - sk.jiffies > 0) st.epochStart = sk.jiffies;
  },
  // cubictcp_state(TCP_CA_Loss): bictcp_reset() and a new HyStart round.
  onLoss(sk) {
    const st = state(sk);
    bictcpReset(st);
    hystartReset(sk, st);
  },
};

