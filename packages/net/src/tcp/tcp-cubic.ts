// CUBIC (net/ipv4/tcp_cubic.c), Linux's default congestion control: beta 717/1024, C = 0.4
// from bic_scale 41, fast convergence, the TCP-friendly region. HyStart (cubic's
// slow-start exit) is not modelled: it leaves slow start at ssthresh.
import type { CongestionOps } from './tcp-cong';
import { tcpCongAvoidAi, tcpRegisterCongestionControl, tcpSlowStart } from './tcp-cong';


const BETA = 717; // / BICTCP_BETA_SCALE (1024): cwnd after a loss ≈ 0.7 of before
const BETA_SCALE = 1024;
/** C = bic_scale * 10 / 1024 ≈ 0.4 (segments per second³). */
const C = (41 * 10) / 1024;
/** beta_scale of the TCP-friendly region: 8 * (1024 + 717) / 3 / (1024 - 717) = 15. */
const FRIENDLY_SCALE = Math.floor((8 * (BETA_SCALE + BETA)) / 3 / (BETA_SCALE - BETA));

/** struct bictcp, in segments and ns. */
export interface CubicState {
  cnt: number;
  lastMaxCwnd: number;
  epochStart: number;
  originPoint: number;
  /** K: when the cubic returns to lastMaxCwnd, ns after the epoch start. */
  k: number;
  tcpCwnd: number;
  ackCnt: number;
}

const fresh = (): CubicState => ({ cnt: 0, lastMaxCwnd: 0, epochStart: 0, originPoint: 0, k: 0, tcpCwnd: 0, ackCnt: 0 });

/** bictcp_update(): how many ACKed segments make cwnd grow by one. */
function cubicUpdate(st: CubicState, cwnd: number, acked: number, now: number, delayMin: number): void {
  st.ackCnt += acked;
  if (st.epochStart === 0) {
    st.epochStart = now || 1;
    st.ackCnt = acked;
    st.tcpCwnd = cwnd;
    if (st.lastMaxCwnd <= cwnd) {
      st.k = 0;
      st.originPoint = cwnd;
    } else {
      st.k = Math.cbrt((st.lastMaxCwnd - cwnd) / C) * 1e9;
      st.originPoint = st.lastMaxCwnd;
    }
  }
  // The cubic one RTT ahead (t + delay_min), as Linux aims.
  const t = (now - st.epochStart + delayMin - st.k) / 1e9;
  const target = st.originPoint + C * t * t * t;
  st.cnt = target > cwnd ? Math.floor(cwnd / (target - cwnd)) : 100 * cwnd;
  // No loss yet: grow at least as fast as 5% a RTT.
  if (st.lastMaxCwnd === 0 && st.cnt > 20) st.cnt = 20;
  // TCP friendliness: never slower than Reno would be.
  const delta = Math.floor((cwnd * FRIENDLY_SCALE) / 8);
  while (st.ackCnt > delta) {
    st.ackCnt -= delta;
    st.tcpCwnd++;
  }
  if (st.tcpCwnd > cwnd) {
    const maxCnt = Math.floor(cwnd / (st.tcpCwnd - cwnd));
    if (st.cnt > maxCnt) st.cnt = maxCnt;
  }
  st.cnt = Math.max(st.cnt, 2);
}

export const CUBIC: CongestionOps = {
  name: 'cubic',
  // cubictcp_recalc_ssthresh(), fast convergence on.
  ssthresh(sk) {
    const st = (sk.ccPriv ??= fresh());
    const cwnd = Math.max(1, Math.floor(sk.cwnd / sk.mss));
    st.epochStart = 0;
    st.lastMaxCwnd = cwnd < st.lastMaxCwnd ? Math.floor((cwnd * (BETA_SCALE + BETA)) / (2 * BETA_SCALE)) : cwnd;
    return Math.max(Math.floor((cwnd * BETA) / BETA_SCALE), 2) * sk.mss;
  },
  // cubictcp_cong_avoid(): slow start up to ssthresh, the rest along the cubic.
  congAvoid(sk, acked) {
    if (sk.cwnd < sk.ssthresh) {
      acked = tcpSlowStart(sk, acked);
      if (acked <= 0) return;
    }
    const st = (sk.ccPriv ??= fresh());
    const cwnd = Math.max(1, Math.floor(sk.cwnd / sk.mss));
    const segs = Math.max(1, Math.round(acked / sk.mss));
    cubicUpdate(st, cwnd, segs, sk.ccNow, sk.minRtt);
    tcpCongAvoidAi(sk, st.cnt, segs);
  },
  // cubictcp_cwnd_event(CA_EVENT_TX_START): application-limited for a while, the epoch
  // moves on by the idle time, so cwnd keeps to the curve.
  txStart(sk, idleNs) {
    const st = sk.ccPriv;
    if (!st || !st.epochStart || idleNs <= 0) return;
    st.epochStart = Math.min(st.epochStart + idleNs, sk.ccNow);
  },
  // cubictcp_state(TCP_CA_Loss): bictcp_reset().
  onLoss(sk) {
    sk.ccPriv = fresh();
  },
};

tcpRegisterCongestionControl(CUBIC);
