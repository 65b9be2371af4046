"""Near-duplicates: word shingles and MinHash, the Redis LSH index and its Lua script."""
