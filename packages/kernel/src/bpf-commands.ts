// The bpf() command table (kernel/bpf/syscall.c: the switch in __sys_bpf): every command
// bpfsim serves, from the static lists the command modules export. Each Kernel builds its
// table from this list at construction (Kernel.commands), so no import, and no import order,
// changes what bpf() does; a command served twice is a bpfsim bug, caught there.
import { ATTACH_COMMANDS, CGROUP_LINK_CREATORS } from './cgroup/commands';
import type { LinkCreator } from './link';
import { LINK_COMMANDS } from './link';
import { MAP_COMMANDS } from './maps/commands';
import type { BpfCommand, CommandHandler } from './syscall';
import { SYSCALL_COMMANDS, cmdName } from './syscall';
import { RAW_TP_COMMANDS } from './tracing/raw-tp';

/** A kernel's bpf() table: command number → handler. The lists are read here, when a
 * kernel is made, not when this module loads, so no import cycle can catch one unfilled. */
export function commandTable(): ReadonlyMap<number, CommandHandler> {
  // prog load, pin, ids, info and test run; maps; links; cgroup (and other) attach; raw tracepoints.
  const lists: readonly (readonly BpfCommand[])[] = [SYSCALL_COMMANDS, MAP_COMMANDS, LINK_COMMANDS, ATTACH_COMMANDS, RAW_TP_COMMANDS];
  const table = new Map<number, CommandHandler>();
  for (const list of lists) {
    for (const { cmd, handler } of list) {
      if (table.has(cmd)) throw new Error(`bpfsim bug: ${cmdName(cmd)} is in two command lists`);
      table.set(cmd, handler);
    }
  }
  return table;
}

/** A kernel's BPF_LINK_CREATE table: program type → the creator of its links (link_create()'s
 * switch on prog->type), from the static lists of the modules that make links. */
export function linkCreatorTable(): ReadonlyMap<number, LinkCreator> {
  const table = new Map<number, LinkCreator>();
  for (const { progType, create } of CGROUP_LINK_CREATORS) {
    if (table.has(progType)) throw new Error(`bpfsim bug: program type ${progType} has two link creators`);
    table.set(progType, create);
  }
  return table;
}
