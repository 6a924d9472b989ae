"""Every setting comes from the environment, with defaults that are safe for development."""

from __future__ import annotations

from functools import lru_cache
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEV_SECRET = "development-only-secret-never-use-in-production"  # noqa: S105


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="", extra="ignore", case_sensitive=False)

    env: Literal["development", "test", "production"] = Field("development", alias="GUANXI_ENV")
    database_url: str = Field("postgresql+asyncpg://guanxi@127.0.0.1:5432/guanxi", alias="DATABASE_URL")
    redis_url: str = Field("redis://127.0.0.1:6379/0", alias="REDIS_URL")
    secret_key: str = Field(DEV_SECRET, alias="GUANXI_SECRET_KEY")
    public_url: str = Field("http://127.0.0.1:8000", alias="GUANXI_PUBLIC_URL")
    api_url: str = Field("http://127.0.0.1:8001", alias="GUANXI_API_URL")
    log_json: bool | None = Field(None, alias="GUANXI_LOG_JSON")
    log_level: str = Field("INFO", alias="GUANXI_LOG_LEVEL")

    smtp_host: str = Field("127.0.0.1", alias="SMTP_HOST")
    smtp_port: int = Field(1025, alias="SMTP_PORT")
    smtp_username: str | None = Field(None, alias="SMTP_USERNAME")
    smtp_password: str | None = Field(None, alias="SMTP_PASSWORD")
    smtp_starttls: bool = Field(False, alias="SMTP_STARTTLS")
    mail_from: str = Field("Guanxi CRM <no-reply@guanxi.local>", alias="GUANXI_MAIL_FROM")

    # The Redis broker requeues a dead worker's unacknowledged messages once its heartbeat is older than
    # this, during a maintenance pass that runs on about `chance` out of a million broker commands
    # (docs/worker.md): 1 %, so even one idle worker requeues within about a minute; tests shorten both.
    broker_heartbeat_timeout_ms: int = Field(60_000, ge=1_000, alias="GUANXI_BROKER_HEARTBEAT_TIMEOUT_MS")
    broker_maintenance_chance: int = Field(10_000, ge=0, le=1_000_000, alias="GUANXI_BROKER_MAINTENANCE_CHANCE")
    # Which periodic jobs the scheduler asks for: "*" every one, "" none, or actor names separated by commas. The
    # browser tests switch them off: a test database holds hundreds of workspaces, and a nightly run for each
    # would queue in front of the one mail or import a test waits for.
    periodic_jobs: str = Field("*", alias="GUANXI_PERIODIC_JOBS")
    # Dead letters are kept this long in `<queue>.XQ` before the broker drops them (7 days by default).
    broker_dead_message_ttl_ms: int = Field(7 * 86_400_000, ge=60_000, alias="GUANXI_BROKER_DEAD_MESSAGE_TTL_MS")
    # Extra modules the worker imports (comma-separated); used by tests to declare probe actors.
    worker_extra_modules: str = Field("", alias="GUANXI_WORKER_EXTRA_MODULES")

    db_pool_size: int = Field(10, alias="GUANXI_DB_POOL_SIZE")
    session_days: int = Field(14, alias="GUANXI_SESSION_DAYS")
    login_attempts_per_window: int = Field(10, alias="GUANXI_LOGIN_ATTEMPTS")
    login_window_seconds: int = Field(900, alias="GUANXI_LOGIN_WINDOW_SECONDS")
    # After this many failed sign-ins in a row an email is locked, first for the given seconds, then for
    # twice as long at each further lockout up to the maximum; a day without failures forgets them all.
    login_lockout_failures: int = Field(5, ge=1, alias="GUANXI_LOGIN_LOCKOUT_FAILURES")
    login_lockout_seconds: int = Field(60, ge=1, alias="GUANXI_LOGIN_LOCKOUT_SECONDS")
    login_lockout_max_seconds: int = Field(3600, ge=1, alias="GUANXI_LOGIN_LOCKOUT_MAX_SECONDS")
    login_lockout_memory_seconds: int = Field(86400, ge=1, alias="GUANXI_LOGIN_LOCKOUT_MEMORY_SECONDS")
    signups_per_ip_per_hour: int = Field(30, alias="GUANXI_SIGNUPS_PER_IP_PER_HOUR")
    workspaces_per_user_per_hour: int = Field(10, alias="GUANXI_WORKSPACES_PER_USER_PER_HOUR")
    max_owned_workspaces: int = Field(20, alias="GUANXI_MAX_OWNED_WORKSPACES")
    tenant_migrate_concurrency: int = Field(8, alias="GUANXI_TENANT_MIGRATE_CONCURRENCY")
    argon2_time_cost: int = Field(2, alias="GUANXI_ARGON2_TIME_COST")
    argon2_memory_kib: int = Field(19456, alias="GUANXI_ARGON2_MEMORY_KIB")

    # Billing (docs/billing.md): Stripe's keys, the plans (a TOML file; the built-in catalogue without one), the
    # trial a new workspace starts with, and how long a workspace whose payment failed stays writable.
    stripe_secret_key: str | None = Field(None, alias="GUANXI_STRIPE_SECRET_KEY")
    stripe_webhook_secret: str | None = Field(None, alias="GUANXI_STRIPE_WEBHOOK_SECRET")
    stripe_api_base: str | None = Field(None, alias="GUANXI_STRIPE_API_BASE")  # a local Stripe-compatible server
    stripe_webhook_tolerance_seconds: int = Field(300, ge=1, le=3600, alias="GUANXI_STRIPE_WEBHOOK_TOLERANCE")
    plans_file: str | None = Field(None, alias="GUANXI_PLANS_FILE")
    trial_days: int = Field(14, ge=0, le=365, alias="GUANXI_TRIAL_DAYS")
    billing_grace_days: int = Field(7, ge=0, le=90, alias="GUANXI_BILLING_GRACE_DAYS")

    # Sign-in through identity providers (docs/oauth.md); a provider without its id and secret is hidden.
    oauth_google_client_id: str | None = Field(None, alias="GUANXI_OAUTH_GOOGLE_CLIENT_ID")
    oauth_google_client_secret: str | None = Field(None, alias="GUANXI_OAUTH_GOOGLE_CLIENT_SECRET")
    oauth_microsoft_client_id: str | None = Field(None, alias="GUANXI_OAUTH_MICROSOFT_CLIENT_ID")
    oauth_microsoft_client_secret: str | None = Field(None, alias="GUANXI_OAUTH_MICROSOFT_CLIENT_SECRET")
    oauth_microsoft_tenant: str = Field("common", alias="GUANXI_OAUTH_MICROSOFT_TENANT")
    oauth_github_client_id: str | None = Field(None, alias="GUANXI_OAUTH_GITHUB_CLIENT_ID")
    oauth_github_client_secret: str | None = Field(None, alias="GUANXI_OAUTH_GITHUB_CLIENT_SECRET")
    oidc_issuer: str | None = Field(None, alias="GUANXI_OIDC_ISSUER")
    oidc_client_id: str | None = Field(None, alias="GUANXI_OIDC_CLIENT_ID")
    oidc_client_secret: str | None = Field(None, alias="GUANXI_OIDC_CLIENT_SECRET")
    oidc_name: str = Field("Single sign-on", alias="GUANXI_OIDC_NAME")
    oauth_attempts_per_window: int = Field(300, alias="GUANXI_OAUTH_ATTEMPTS")
    # Uploaded files (imports) live here until processed; api and worker must share it (one volume).
    storage_dir: str = Field(".data/storage", alias="GUANXI_STORAGE_DIR")
    import_max_bytes: int = Field(50 * 1024 * 1024, ge=1024, alias="GUANXI_IMPORT_MAX_BYTES")
    # Exported files (accounts, contacts) are kept this long, then the periodic purge deletes them.
    export_retention_days: int = Field(7, ge=1, le=365, alias="GUANXI_EXPORT_RETENTION_DAYS")
    attachment_max_bytes: int = Field(25 * 1024 * 1024, ge=1024, alias="GUANXI_ATTACHMENT_MAX_BYTES")
    # Attachments go to an S3-compatible bucket instead of the storage folder when a bucket is named.
    s3_bucket: str | None = Field(None, alias="GUANXI_S3_BUCKET")
    s3_endpoint_url: str | None = Field(None, alias="GUANXI_S3_ENDPOINT_URL")  # MinIO, R2, OSS, COS …
    s3_region: str | None = Field(None, alias="GUANXI_S3_REGION")
    s3_access_key_id: str | None = Field(None, alias="GUANXI_S3_ACCESS_KEY_ID")
    s3_secret_access_key: str | None = Field(None, alias="GUANXI_S3_SECRET_ACCESS_KEY")

    @model_validator(mode="after")
    def _production_needs_a_secret(self) -> Settings:
        if self.env == "production" and self.secret_key == DEV_SECRET:
            raise ValueError("GUANXI_SECRET_KEY must be set in production")
        return self

    @model_validator(mode="after")
    def _lockouts_grow_to_their_maximum(self) -> Settings:
        if not self.login_lockout_seconds <= self.login_lockout_max_seconds <= self.login_lockout_memory_seconds:
            raise ValueError(
                "GUANXI_LOGIN_LOCKOUT_SECONDS ≤ GUANXI_LOGIN_LOCKOUT_MAX_SECONDS ≤ GUANXI_LOGIN_LOCKOUT_MEMORY_SECONDS"
            )
        return self

    @property
    def json_logs(self) -> bool:
        return self.log_json if self.log_json is not None else self.env == "production"

    @property
    def secure_cookies(self) -> bool:
        return self.public_url.startswith("https://")


@lru_cache
def get_settings() -> Settings:
    return Settings()
