import { type DynamicModule, Global, Module } from '@nestjs/common';
import { ConfigModule as NestConfigModule } from '@nestjs/config';
import { AppConfig } from './app-config.js';
import { SigningSecret } from './signing-secret.js';

/**
 * Provides the configuration loaded (and validated) before Nest starts: `AppConfig`, the
 * `SigningSecret`, and @nestjs/config's ConfigService over the same values.
 */
@Global()
@Module({})
export class AppConfigModule {
  static forRoot(config: AppConfig, secret: SigningSecret): DynamicModule {
    return {
      module: AppConfigModule,
      imports: [
        NestConfigModule.forRoot({
          isGlobal: true,
          ignoreEnvFile: true,
          skipProcessEnv: true,
          load: [() => ({ ...config.values })],
        }),
      ],
      providers: [
        { provide: AppConfig, useValue: config },
        { provide: SigningSecret, useValue: secret },
      ],
      exports: [AppConfig, SigningSecret],
    };
  }
}
