# 100 rounds of a four-deep chain of bpf-to-bpf calls.
    r6 = 0
    r7 = 0
loop:
    r1 = r6
    call f1
    r7 += r0
    r6 += 1
    if r6 < 100 goto loop
    r0 = r7
    exit
f1:
    r1 += 3
    call f2
    r0 += 1
    exit
f2:
    r1 *= 5
    call f3
    r0 ^= 7
    exit
f3:
    r1 -= 2
    r6 = r1                        # r6-r9 survive calls
    call f4
    r0 += r6
    exit
f4:
    r0 = r1
    r0 <<= 1
    exit
