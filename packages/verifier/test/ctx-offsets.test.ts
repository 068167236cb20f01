// ctxOffsets(): a ctx struct's field offsets by name, from the program type's descriptor.
import { ctxOffsets } from '../src';
import { SOCKET_FILTER, XDP } from './prog-types';

test('offsets come from the descriptor, an array by its bare name too', () => {
  expect(ctxOffsets(XDP, ['data', 'data_end', 'ingress_ifindex'])).toEqual({ data: 0, data_end: 4, ingress_ifindex: 12 });
  expect(ctxOffsets(SOCKET_FILTER, ['cb', 'len'])).toEqual({ cb: 48, len: 0 });
});

test('a field the struct lacks is an error naming both', () => {
  expect(() => ctxOffsets(XDP, ['nope'])).toThrow('struct xdp_md has no field nope');
});
