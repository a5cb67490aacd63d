// The cgroup v2 device filter: on cgroup v2 there is no devices.allow/deny; a BPF program of type
// BPF_PROG_TYPE_CGROUP_DEVICE attached to the job's cgroup decides each open and mknod (as Slurm's
// cgroup/v2 plugin and runc do). The program is a few instructions assembled here, so no BPF toolchain is
// needed at build or run time.
#define _GNU_SOURCE
#include <errno.h>
#include <linux/bpf.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "CAgentShims.h"

static struct bpf_insn insn(uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm) {
    struct bpf_insn i;
    memset(&i, 0, sizeof i);
    i.code = code;
    i.dst_reg = dst;
    i.src_reg = src;
    i.off = off;
    i.imm = imm;
    return i;
}

// Denies the character devices of `major` with a minor from `minor_first` up to (not including) `minor_limit`
// unless the minor is one of `allowed`; allows everything else. Programs attached together all must allow.
int raspored_attach_device_filter(int cgroup_fd, unsigned major, unsigned minor_first, unsigned minor_limit,
                                  const unsigned *allowed, int n) {
    if (n < 0 || n > 1024) {
        errno = EINVAL;
        return -1;
    }
    // struct bpf_cgroup_dev_ctx { u32 access_type (access << 16 | type); u32 major; u32 minor; } in r1.
    // r0 = 1 allows, r0 = 0 denies (EPERM to the caller).
    int count = 0, cap = 12 + n;
    struct bpf_insn *p = calloc((size_t)cap, sizeof *p);
    if (!p) return -1;
    // Instruction i's jump offset is relative to i + 1; `allow` is the second-to-last instruction.
    const int allow = 8 + n + 2;
    p[count++] = insn(BPF_LDX | BPF_W | BPF_MEM, BPF_REG_2, BPF_REG_1, 0, 0);  // 0: r2 = access_type
    p[count++] = insn(BPF_ALU | BPF_AND | BPF_K, BPF_REG_2, 0, 0, 0xFFFF);     // 1: r2 = type
    p[count++] = insn(BPF_LDX | BPF_W | BPF_MEM, BPF_REG_3, BPF_REG_1, 4, 0);  // 2: r3 = major
    p[count++] = insn(BPF_LDX | BPF_W | BPF_MEM, BPF_REG_4, BPF_REG_1, 8, 0);  // 3: r4 = minor
    p[count] = insn(BPF_JMP | BPF_JNE | BPF_K, BPF_REG_2, 0, (int16_t)(allow - count - 1), BPF_DEVCG_DEV_CHAR);
    count++;                                                                     // 4: not a char device
    p[count] = insn(BPF_JMP | BPF_JNE | BPF_K, BPF_REG_3, 0, (int16_t)(allow - count - 1), (int32_t)major);
    count++;                                                                     // 5: another major
    p[count] = insn(BPF_JMP | BPF_JLT | BPF_K, BPF_REG_4, 0, (int16_t)(allow - count - 1), (int32_t)minor_first);
    count++;                                                                     // 6: below the range
    p[count] = insn(BPF_JMP | BPF_JGE | BPF_K, BPF_REG_4, 0, (int16_t)(allow - count - 1), (int32_t)minor_limit);
    count++;                                                                     // 7: above it (a control device)
    for (int i = 0; i < n; i++, count++)                                         // 8…: an allocated minor
        p[count] = insn(BPF_JMP | BPF_JEQ | BPF_K, BPF_REG_4, 0, (int16_t)(allow - count - 1), (int32_t)allowed[i]);
    p[count++] = insn(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, 0);         // deny
    p[count++] = insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
    p[count++] = insn(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, 1);         // allow
    p[count++] = insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0);

    union bpf_attr load;
    memset(&load, 0, sizeof load);
    load.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
    load.insns = (uint64_t)(uintptr_t)p;
    load.insn_cnt = (uint32_t)count;
    load.license = (uint64_t)(uintptr_t) "GPL";
    int prog = (int)syscall(__NR_bpf, BPF_PROG_LOAD, &load, sizeof load);
    int e = errno;
    free(p);
    if (prog < 0) {
        errno = e;
        return -1;
    }
    union bpf_attr attach;
    memset(&attach, 0, sizeof attach);
    attach.target_fd = (uint32_t)cgroup_fd;
    attach.attach_bpf_fd = (uint32_t)prog;
    attach.attach_type = BPF_CGROUP_DEVICE;
    attach.attach_flags = BPF_F_ALLOW_MULTI;
    int rc = (int)syscall(__NR_bpf, BPF_PROG_ATTACH, &attach, sizeof attach);
    e = errno;
    close(prog);
    errno = e;
    return rc;
}
