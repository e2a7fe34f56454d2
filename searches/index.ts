/** Every search, by key (the keys are the public contract that Zaps reference). */
export const searches = {};

/** Find-or-create pairs: each entry's key is its search's key. */
export const searchOrCreates = {};
