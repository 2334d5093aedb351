// Container names. Without --name a container gets a random "adjective_scientist" name, as Docker's
// pkg/namesgenerator makes them (a selection of its lists); --name must match Docker's
// RestrictedNameChars and be unused.
import { TsdockerError } from '../errors';
import { randomInt } from '../random';

const LEFT = [
  'admiring', 'adoring', 'affectionate', 'agitated', 'amazing', 'angry', 'awesome', 'beautiful',
  'blissful', 'bold', 'boring', 'brave', 'busy', 'charming', 'clever', 'compassionate', 'competent',
  'confident', 'cool', 'cranky', 'dazzling', 'determined', 'distracted', 'dreamy', 'eager',
  'ecstatic', 'elastic', 'elated', 'elegant', 'eloquent', 'epic', 'exciting', 'fervent', 'festive',
  'flamboyant', 'focused', 'friendly', 'frosty', 'funny', 'gallant', 'gifted', 'goofy', 'gracious',
  'great', 'happy', 'hardcore', 'heuristic', 'hopeful', 'hungry', 'infallible', 'inspiring',
  'intelligent', 'interesting', 'jolly', 'jovial', 'keen', 'kind', 'laughing', 'loving', 'lucid',
  'magical', 'modest', 'musing', 'mystifying', 'nice', 'nifty', 'nostalgic', 'objective',
  'optimistic', 'peaceful', 'pedantic', 'pensive', 'practical', 'priceless', 'quirky', 'quizzical',
  'recursing', 'relaxed', 'reverent', 'romantic', 'serene', 'sharp', 'silly', 'sleepy', 'stoic',
  'strange', 'suspicious', 'sweet', 'tender', 'thirsty', 'trusting', 'unruffled', 'upbeat',
  'vibrant', 'vigilant', 'vigorous', 'wizardly', 'wonderful', 'xenodochial', 'youthful', 'zealous',
  'zen',
];

const RIGHT = [
  'agnesi', 'albattani', 'allen', 'almeida', 'archimedes', 'aryabhata', 'babbage', 'banach',
  'bardeen', 'bartik', 'bassi', 'bell', 'bhabha', 'bohr', 'booth', 'borg', 'bose', 'bouman',
  'brahmagupta', 'brattain', 'burnell', 'cannon', 'carson', 'cerf', 'chandrasekhar', 'chebyshev',
  'clarke', 'cohen', 'cori', 'cray', 'curie', 'darwin', 'davinci', 'diffie', 'dijkstra', 'dirac',
  'easley', 'einstein', 'elion', 'engelbart', 'euclid', 'euler', 'faraday', 'fermat', 'fermi',
  'feynman', 'franklin', 'galileo', 'galois', 'gauss', 'germain', 'goldberg', 'goldwasser',
  'goodall', 'hamilton', 'hawking', 'heisenberg', 'hellman', 'herschel', 'hertz', 'hodgkin',
  'hopper', 'hypatia', 'jackson', 'jemison', 'jennings', 'johnson', 'kalam', 'kepler', 'khayyam',
  'kilby', 'knuth', 'kowalevski', 'lamarr', 'lamport', 'leavitt', 'liskov', 'lovelace', 'margulis',
  'maxwell', 'mccarthy', 'mcclintock', 'meitner', 'mendel', 'mendeleev', 'merkle', 'mirzakhani',
  'montalcini', 'moore', 'morse', 'napier', 'nash', 'neumann', 'newton', 'nightingale', 'noether',
  'noyce', 'panini', 'pascal', 'pasteur', 'payne', 'perlman', 'pike', 'poincare', 'ptolemy',
  'raman', 'ramanujan', 'ride', 'ritchie', 'roentgen', 'rubin', 'saha', 'sammet', 'shamir',
  'shannon', 'shaw', 'shockley', 'sinoussi', 'snyder', 'spence', 'stonebraker', 'sutherland',
  'swanson', 'swartz', 'tesla', 'tharp', 'thompson', 'torvalds', 'turing', 'villani', 'wiles',
  'williams', 'wilson', 'wing', 'wozniak', 'wright', 'wu', 'yalow', 'yonath',
];

const pick = <T>(list: T[]): T => list[randomInt(list.length)];

/** "focused_turing"; on a retry a digit is appended ("focused_turing3"), as Docker does. */
export function randomName(retry = 0): string {
  for (;;) {
    const name = `${pick(LEFT)}_${pick(RIGHT)}`;
    if (name === 'boring_wozniak') continue; // Steve Wozniak is not boring (namesgenerator.go)
    return retry > 0 ? `${name}${randomInt(10)}` : name;
  }
}

/** A random name not in `taken`. */
export function uniqueRandomName(taken: Set<string>): string {
  for (let retry = 0; ; retry++) {
    const name = randomName(retry);
    if (!taken.has(name)) return name;
  }
}

const NAME_RE = /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;

/** Check a --name ("/web" is accepted and means "web", as in Docker's API). */
export function validateName(name: string): string {
  const bare = name.startsWith('/') ? name.slice(1) : name;
  if (!NAME_RE.test(bare)) {
    throw new TsdockerError(`invalid container name (${name}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`);
  }
  return bare;
}
