// Which containers use an image: `rmi` and `image prune` must not delete an image under one.
// Reads the container records the container engine keeps under <root>/containers.
import type { ImageUser } from './remove';

export function imageUsers(imageId: string): ImageUser[] {
  // Loaded lazily: image commands should not pay for the container code unless they need it.
  const { listContainers } = require('../container/record') as typeof import('../container/record');
  return listContainers()
    .filter((c) => c.image === imageId)
    .map((c) => ({ id: c.id, running: c.state.running }));
}
