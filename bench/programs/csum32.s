# The Internet checksum (RFC 1071) of the first 1 KiB, with 32-bit arithmetic.
    r2 = *(u32 *)(r1 + 0)
    r3 = *(u32 *)(r1 + 4)
    r4 = r2
    r4 += 1024
    w0 = 0
    if r4 > r3 goto out
    r8 = 0
loop:
    r6 = r2
    r6 += r8
    w7 = *(u16 *)(r6 + 0)
    w0 += w7
    r8 += 2
    if r8 < 1024 goto loop
    w6 = w0
    w6 >>= 16
    w0 &= 0xffff
    w0 += w6
    w6 = w0
    w6 >>= 16
    w0 += w6
    w0 ^= 0xffff
    w0 &= 0xffff
out:
    exit
