// Which containers use an image: `rmi` and `image prune` must not delete an image under one.
import type { ImageUser } from './remove';

export function imageUsers(imageId: string): ImageUser[] {
  // Loaded lazily: image commands should not pay for the container code unless they need it.
  const { containersUsingImage } = require('../container/list') as typeof import('../container/list');
  return containersUsingImage(imageId);
}
