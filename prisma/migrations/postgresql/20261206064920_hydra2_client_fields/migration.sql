-- AlterTable
ALTER TABLE "oauth2_clients" ADD COLUMN     "audience" TEXT NOT NULL DEFAULT '[]',
ADD COLUMN     "metadata" TEXT,
ADD COLUMN     "tokenEndpointAuthMethod" TEXT;
