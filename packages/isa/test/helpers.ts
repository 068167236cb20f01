// Shared test helpers for the isa package.
import { decode, encode } from '../src';
import type { Insn } from '../src';

export const hexOf = (bytes: Uint8Array): string => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join(' ');
export const bytesOf = (hex: string): Uint8Array => Uint8Array.from(hex.trim().split(/\s+/), (h) => parseInt(h, 16));
export const insnsOf = (hex: string): Insn[] => decode(bytesOf(hex));
export const hexOfInsns = (insns: readonly Insn[]): string => hexOf(encode(insns));
