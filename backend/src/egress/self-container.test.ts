import { describe, expect, it } from 'vitest';
import { containerIdFromMountinfo } from './self-container.js';

const ID = 'a'.repeat(12) + '0123456789abcdef'.repeat(3) + 'b'.repeat(4);

describe('containerIdFromMountinfo', () => {
  it("finds the id in the engine's bind of resolv.conf", () => {
    const info = [
      '612 590 0:52 / / rw,relatime master:301 - overlay overlay rw,lowerdir=/var/lib/docker/overlay2/l/X',
      `640 612 254:0 /var/lib/docker/containers/${ID}/resolv.conf /etc/resolv.conf rw,relatime - ext4 /dev/vda rw`,
      `641 612 254:0 /var/lib/docker/containers/${ID}/hostname /etc/hostname rw,relatime - ext4 /dev/vda rw`,
    ].join('\n');
    expect(containerIdFromMountinfo(info)).toBe(ID);
  });
  it('is null on a host', () => {
    expect(containerIdFromMountinfo('22 1 254:0 / / rw,relatime shared:1 - ext4 /dev/vda rw\n')).toBeNull();
  });
});
