-- `npm run users:list` pages through the people in the order they signed up, by this index: read
-- whole, 130,000 of them overflowed the stack (and held every row in memory), and a page in that
-- order without an index sorted the whole table once per page.
-- CreateIndex
CREATE INDEX "users_createdAt_id_idx" ON "users"("createdAt", "id");
