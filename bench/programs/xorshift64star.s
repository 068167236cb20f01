# 1000 rounds of xorshift64* seeded from the first 8 packet bytes.
    r2 = *(u32 *)(r1 + 0)
    r3 = *(u32 *)(r1 + 4)
    r0 = 0
    r4 = r2
    r4 += 8
    if r4 > r3 goto out
    r0 = *(u64 *)(r2 + 0)
    r0 |= 1
    r5 = 0x2545f4914f6cdd1d ll
    r8 = 0
loop:
    r6 = r0
    r6 >>= 12
    r0 ^= r6
    r6 = r0
    r6 <<= 25
    r0 ^= r6
    r6 = r0
    r6 >>= 27
    r0 ^= r6
    r0 *= r5
    r8 += 1
    if r8 < 1000 goto loop
out:
    exit
