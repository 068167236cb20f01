# A bounded loop of 50,000 iterations: the verifier walks every iteration (r1 is a
# different constant each time, so no state prunes), about 100,000 processed instructions.
    r1 = 0
loop:
    r1 += 1
    if r1 < 50000 goto loop
    r0 = 2
    exit
