# FNV-1a-64 over the first 1 KiB of the packet (or less, when the packet is shorter).
    r2 = *(u32 *)(r1 + 0)          # data
    r3 = *(u32 *)(r1 + 4)          # data_end
    r0 = 0xcbf29ce484222325 ll     # offset basis
    r4 = 0x100000001b3 ll          # FNV prime
    r8 = 0
loop:
    if r8 >= 1024 goto done
    r6 = r2
    r6 += r8
    r7 = r6
    r7 += 1
    if r7 > r3 goto done
    r7 = *(u8 *)(r6 + 0)
    r0 ^= r7
    r0 *= r4
    r8 += 1
    goto loop
done:
    exit
