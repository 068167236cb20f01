# Parse Ethernet (with an optional 802.1Q tag), IPv4 and TCP/UDP; hash the 5-tuple and
# decide: XDP_DROP (1) for TCP port 23, XDP_PASS (2) otherwise, XDP_ABORTED (0) when short.
    r2 = *(u32 *)(r1 + 0)
    r3 = *(u32 *)(r1 + 4)
    r0 = 0
    r4 = r2
    r4 += 14
    if r4 > r3 goto out
    r5 = *(u16 *)(r2 + 12)         # ethertype, network order
    r6 = 14
    if r5 != 0x81 goto l3          # htons(0x8100)
    r4 = r2
    r4 += 18
    if r4 > r3 goto out
    r5 = *(u16 *)(r2 + 16)
    r6 = 18
l3:
    r0 = 2
    if r5 != 0x8 goto out          # htons(0x0800)
    r2 += r6
    r4 = r2
    r4 += 20
    r0 = 0
    if r4 > r3 goto out
    r7 = *(u8 *)(r2 + 0)           # version and IHL
    r7 &= 15
    r7 <<= 2
    if r7 < 20 goto out
    r8 = *(u8 *)(r2 + 9)           # protocol
    r9 = *(u32 *)(r2 + 12)         # saddr
    r5 = *(u32 *)(r2 + 16)         # daddr
    r2 += r7
    r4 = r2
    r4 += 4
    if r4 > r3 goto out
    r6 = *(u16 *)(r2 + 0)          # sport
    r7 = *(u16 *)(r2 + 2)          # dport
    # A Jenkins-style mix of the 5-tuple.
    r0 = r9
    r0 ^= r5
    r4 = r0
    r4 <<= 13
    r0 ^= r4
    r6 <<= 16
    r6 |= r7
    r0 += r6
    r0 *= -1640531535              # 0x9e3779b1 as a sign-extended imm32
    r4 = r0
    r4 >>= 17
    r0 ^= r4
    r0 += r8
    r0 &= 0xffff
    *(u32 *)(r10 - 4) = r0
    r0 = 2
    if r8 != 6 goto out
    if r7 != 0x1700 goto out       # htons(23)
    r0 = 1
out:
    exit
