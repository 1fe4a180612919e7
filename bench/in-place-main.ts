import 'reflect-metadata';
import { ValidationPipe } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { loadConfig } from '../src/config/app-config.js';
import { InPlaceAppModule } from './in-place-app.js';

// Started by the benchmark (bench/http.ts) as the real app is: DATABASE_URL, PORT, and the app's pool size.
const config = loadConfig();
if (!config.databaseUrl) throw new Error('the in-place app needs DATABASE_URL');
const app = await NestFactory.create(InPlaceAppModule.forRoot(config.databaseUrl, config.database.poolSize), {
  logger: ['warn', 'error'],
});
app.useGlobalPipes(new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true, transform: true }));
app.enableShutdownHooks();
await app.listen(config.port);
