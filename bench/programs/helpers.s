# 100 calls of bpf_get_prandom_u32, folded into r0.
    r6 = 0
    r7 = 0
loop:
    call bpf_get_prandom_u32
    r7 ^= r0
    r7 += 1
    r6 += 1
    if r6 < 100 goto loop
    r0 = r7
    exit
