package dev.gradientgateway.hapilocal;

import ca.uhn.fhir.batch2.api.IJobMaintenanceService;
import ca.uhn.fhir.batch2.jobs.config.Batch2JobsConfig;
import ca.uhn.fhir.batch2.maintenance.JobMaintenanceServiceImpl;
import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.interceptor.api.IInterceptorService;
import ca.uhn.fhir.jpa.api.IDaoRegistry;
import ca.uhn.fhir.jpa.api.config.JpaStorageSettings;
import ca.uhn.fhir.jpa.api.config.ThreadPoolFactoryConfig;
import ca.uhn.fhir.jpa.api.dao.IFhirSystemDao;
import ca.uhn.fhir.jpa.batch2.JpaBatch2Config;
import ca.uhn.fhir.jpa.config.r4.JpaR4Config;
import ca.uhn.fhir.jpa.config.util.HapiEntityManagerFactoryUtil;
import ca.uhn.fhir.jpa.config.util.ResourceCountCacheUtil;
import ca.uhn.fhir.jpa.dao.FulltextSearchSvcImpl;
import ca.uhn.fhir.jpa.dao.IFulltextSearchSvc;
import ca.uhn.fhir.jpa.dao.search.HSearchSortHelperImpl;
import ca.uhn.fhir.jpa.dao.search.IHSearchSortHelper;
import ca.uhn.fhir.jpa.model.config.PartitionSettings;
import ca.uhn.fhir.jpa.model.config.SubscriptionSettings;
import ca.uhn.fhir.jpa.model.dialect.HapiFhirH2Dialect;
import ca.uhn.fhir.jpa.provider.DaoRegistryResourceSupportedSvc;
import ca.uhn.fhir.jpa.search.DatabaseBackedPagingProvider;
import ca.uhn.fhir.jpa.search.IStaleSearchDeletingSvc;
import ca.uhn.fhir.jpa.search.StaleSearchDeletingSvcImpl;
import ca.uhn.fhir.jpa.subscription.channel.config.SubscriptionChannelConfig;
import ca.uhn.fhir.jpa.subscription.channel.impl.RetryPolicyProvider;
import ca.uhn.fhir.jpa.subscription.match.config.SubscriptionProcessorConfig;
import ca.uhn.fhir.jpa.subscription.match.config.WebsocketDispatcherConfig;
import ca.uhn.fhir.jpa.subscription.match.deliver.email.IEmailSender;
import ca.uhn.fhir.jpa.subscription.submit.config.SubscriptionSubmitterConfig;
import ca.uhn.fhir.jpa.subscription.util.SubscriptionDebugLogInterceptor;
import ca.uhn.fhir.jpa.topic.ISubscriptionTopicLoader;
import ca.uhn.fhir.jpa.topic.SubscriptionTopicConfig;
import ca.uhn.fhir.jpa.util.ResourceCountCache;
import ca.uhn.fhir.rest.api.IResourceSupportedSvc;
import ca.uhn.fhir.rest.server.util.ISearchParamRegistry;
import jakarta.persistence.EntityManagerFactory;
import org.hl7.fhir.dstu2.model.Subscription.SubscriptionChannelType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.SmartInitializingSingleton;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.beans.factory.config.ConfigurableListableBeanFactory;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Import;
import org.springframework.context.annotation.Primary;
import org.springframework.orm.jpa.JpaTransactionManager;
import org.springframework.orm.jpa.LocalContainerEntityManagerFactoryBean;
import org.springframework.retry.RetryPolicy;
import org.springframework.retry.policy.NeverRetryPolicy;
import org.springframework.retry.policy.TimeoutRetryPolicy;
import org.springframework.transaction.annotation.EnableTransactionManagement;

import java.util.Properties;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;

/**
 * The HAPI FHIR JPA storage and subscription wiring: FHIR R4 on H2, REST-hook and WebSocket
 * subscriptions, batch2 jobs (reindex, expunge), and the R4 topic (backport) subscription beans.
 *
 * <p>The {@link javax.sql.DataSource} comes from Spring Boot ({@code spring.datasource.*}); Spring Boot's
 * own JPA auto-configuration is switched off in {@code application.properties} because HAPI needs its
 * own entity manager factory.
 */
@Configuration
@EnableTransactionManagement
@Import({
	JpaR4Config.class,
	ThreadPoolFactoryConfig.class,
	JpaBatch2Config.class,
	Batch2JobsConfig.class,
	SubscriptionSubmitterConfig.class,
	SubscriptionProcessorConfig.class,
	SubscriptionChannelConfig.class,
	WebsocketDispatcherConfig.class,
	SubscriptionTopicConfig.class
})
public class HapiJpaServerConfig {

	private static final Logger ourLog = LoggerFactory.getLogger(HapiJpaServerConfig.class);

	@Bean
	public JpaStorageSettings storageSettings() {
		JpaStorageSettings settings = new JpaStorageSettings();
		// References to resources on other servers (absolute URLs) are kept as they are.
		settings.setAllowExternalReferences(true);
		// A reference to a missing local resource is an error (no silent placeholder creation).
		settings.setAutoCreatePlaceholderReferenceTargets(false);
		// Tests reset state with DELETE ...?_lastUpdated and $expunge.
		settings.setAllowMultipleDelete(true);
		// A lab may delete a result that resources elsewhere cite (as most vendor servers allow): the gateway then
		// retracts what it wrote from it. HAPI's default would refuse such a delete with 409.
		settings.setEnforceReferentialIntegrityOnDelete(false);
		settings.setExpungeEnabled(true);
		settings.setDeleteExpungeEnabled(true);
		// Searches are not served from a cache of an earlier identical search: an integration test
		// that writes and then searches must see its own write.
		settings.setReuseCachedSearchResultsForMillis(null);
		// Bulk Data $export runs as a gated batch2 job: each step waits for a maintenance pass. Fast
		// tracking runs that pass as soon as a step's chunks finish, so a small export completes in
		// seconds rather than one scheduled pass per step.
		settings.setEnableTaskBulkExportJobExecution(true);
		settings.setJobFastTrackingEnabled(true);
		// An export answers for what the server holds now: HAPI would otherwise hand a new $export with
		// the same parameters an earlier job's (stale) files.
		settings.setEnableBulkExportJobReuse(false);
		return settings;
	}

	@Bean
	public SubscriptionSettings subscriptionSettings(
			@Value("${hapi-local.subscription.submit-interval-ms:1000}") long theSubmitIntervalMs,
			@Value("${hapi-local.subscription.immediately-queued:false}") boolean theImmediatelyQueued) {
		SubscriptionSettings settings = new SubscriptionSettings();
		settings.addSupportedSubscriptionType(SubscriptionChannelType.RESTHOOK);
		settings.addSupportedSubscriptionType(SubscriptionChannelType.WEBSOCKET);
		// Since HAPI 7 every stored change is written to a table and a scheduled job hands it to
		// subscription matching; HAPI's default period is 5 s, ours 1 s. This also bounds how long a
		// new Subscription stays 'requested'.
		settings.setSubscriptionIntervalInMs(theSubmitIntervalMs);
		// "Immediately queued" hands a changed Subscription to matching before its transaction has
		// committed: with HAPI 8.8.0 the first attempt then always fails (HAPI-2001 "is not known",
		// logged as an ERROR with a stack trace) and succeeds on the retry 1 s later, so it gains
		// nothing over a 1 s interval. Off by default.
		settings.setSubscriptionChangeQueuedImmediately(theImmediatelyQueued);
		ourLog.info(
				"Subscriptions: rest-hook and websocket enabled; changes submitted to matching every {} ms;"
						+ " subscription changes queued immediately: {}",
				theSubmitIntervalMs,
				theImmediatelyQueued);
		return settings;
	}

	/**
	 * How often batch2's maintenance pass runs (HAPI's default: every minute). A $export job waits QUEUED
	 * until a pass starts it, so with the default every export takes up to a minute before any work. Set
	 * before HAPI's scheduler registers its jobs (on ContextRefreshedEvent, after every singleton exists).
	 */
	@Bean
	public SmartInitializingSingleton batch2MaintenanceInterval(
			ObjectProvider<IJobMaintenanceService> theMaintenanceService,
			@Value("${hapi-local.batch2.maintenance-interval-ms:60000}") long theIntervalMs) {
		return () -> {
			if (theMaintenanceService.getIfAvailable() instanceof JobMaintenanceServiceImpl maintenance) {
				maintenance.setScheduledJobFrequencyMillis(theIntervalMs);
				ourLog.info("Batch2 job maintenance (bulk export) every {} ms", theIntervalMs);
			}
		};
	}

	@Bean
	public PartitionSettings partitionSettings() {
		return new PartitionSettings();
	}

	@Primary
	@Bean
	public LocalContainerEntityManagerFactoryBean entityManagerFactory(
			DataSource theDataSource,
			ConfigurableListableBeanFactory theBeanFactory,
			FhirContext theFhirContext,
			JpaStorageSettings theStorageSettings,
			@Value("${hapi-local.hibernate.hbm2ddl-auto:update}") String theHbm2ddlAuto) {
		LocalContainerEntityManagerFactoryBean factory =
				HapiEntityManagerFactoryUtil.newEntityManagerFactory(theBeanFactory, theFhirContext, theStorageSettings);
		factory.setPersistenceUnitName("HAPI_PU");
		factory.setDataSource(theDataSource);

		Properties jpa = new Properties();
		jpa.put("hibernate.dialect", HapiFhirH2Dialect.class.getName());
		jpa.put("hibernate.hbm2ddl.auto", theHbm2ddlAuto);
		jpa.put("hibernate.search.enabled", "false");
		jpa.put("hibernate.format_sql", "false");
		jpa.put("hibernate.show_sql", "false");
		jpa.put("hibernate.jdbc.batch_size", "20");
		jpa.put("hibernate.cache.use_query_cache", "false");
		jpa.put("hibernate.cache.use_second_level_cache", "false");
		jpa.put("hibernate.cache.use_structured_entries", "false");
		jpa.put("hibernate.cache.use_minimal_puts", "false");
		factory.setJpaProperties(jpa);
		return factory;
	}

	@Primary
	@Bean
	public JpaTransactionManager transactionManager(EntityManagerFactory theEntityManagerFactory) {
		JpaTransactionManager manager = new JpaTransactionManager();
		manager.setEntityManagerFactory(theEntityManagerFactory);
		return manager;
	}

	@Bean
	public DatabaseBackedPagingProvider databaseBackedPagingProvider(
			@Value("${hapi-local.paging.default-page-size:20}") int theDefaultPageSize,
			@Value("${hapi-local.paging.max-page-size:500}") int theMaxPageSize) {
		DatabaseBackedPagingProvider provider = new DatabaseBackedPagingProvider();
		provider.setDefaultPageSize(theDefaultPageSize);
		provider.setMaximumPageSize(theMaxPageSize);
		return provider;
	}

	/** No e-mail channel here; HAPI's subscription delivery wiring still wants a sender. */
	@Bean
	public IEmailSender emailSender() {
		return theDetails -> ourLog.warn("E-mail subscriptions are not supported by hapi-local; message dropped");
	}

	// The beans below are what HAPI's JPA configuration expects its host application to provide.

	@Bean
	public IFulltextSearchSvc fullTextSearchSvc() {
		return new FulltextSearchSvcImpl();
	}

	@Bean
	public IHSearchSortHelper hSearchSortHelper(ISearchParamRegistry theSearchParamRegistry) {
		return new HSearchSortHelperImpl(theSearchParamRegistry);
	}

	@Bean
	public IStaleSearchDeletingSvc staleSearchDeletingSvc() {
		return new StaleSearchDeletingSvcImpl();
	}

	@Bean
	public IResourceSupportedSvc resourceSupportedSvc(IDaoRegistry theDaoRegistry) {
		return new DaoRegistryResourceSupportedSvc(theDaoRegistry);
	}

	@Bean(name = "myResourceCountsCache")
	public ResourceCountCache resourceCountsCache(IFhirSystemDao<?, ?> theSystemDao) {
		return ResourceCountCacheUtil.newResourceCountCache(theSystemDao);
	}

	/**
	 * R4 topics (Subscriptions Backport IG) are {@code Basic} resources, and HAPI 8.8.0 learns of a new or changed
	 * one only when its topic loader re-reads them, every 60 s ({@code BaseResourceCacheSynchronizer.REFRESH_INTERVAL}):
	 * its change listener registers only R4B/R5 {@code SubscriptionTopic} resources. Until then a Subscription on the
	 * topic is active but never notified. Asking the loader to re-read more often makes a new topic work within
	 * {@code hapi-local.subscription.topic-refresh-ms}; 0 keeps HAPI's own 60 s.
	 */
	@Bean(destroyMethod = "shutdownNow")
	public ScheduledExecutorService subscriptionTopicRefresher(
			ISubscriptionTopicLoader theTopicLoader,
			@Value("${hapi-local.subscription.topic-refresh-ms:2000}") long theRefreshMs) {
		ScheduledExecutorService executor = Executors.newSingleThreadScheduledExecutor(theRunnable -> {
			Thread thread = new Thread(theRunnable, "hapi-local-topic-refresh");
			thread.setDaemon(true);
			return thread;
		});
		if (theRefreshMs > 0) {
			executor.scheduleWithFixedDelay(
					() -> {
						try {
							theTopicLoader.requestRefresh();
						} catch (RuntimeException e) {
							ourLog.warn("Subscription topic refresh failed: {}", e.toString());
						}
					},
					theRefreshMs,
					theRefreshMs,
					TimeUnit.MILLISECONDS);
		}
		return executor;
	}

	/**
	 * How long HAPI keeps retrying one failed REST-hook delivery before it drops the notification for good:
	 * HAPI's own {@code RetryPolicyProvider} gives 60 s (1 s backoff, x1.1) and this keeps that by default.
	 * Each retry holds one of the subscription's two delivery threads, so a dead endpoint and a burst of
	 * changes keep HAPI busy for a minute per change. {@code hapi-local.subscription.delivery-retry-ms} lets a
	 * test make HAPI give up at once (0: no retry after the first failure). Primary, so it is the provider
	 * HAPI's channel factory is given.
	 */
	@Primary
	@Bean
	public RetryPolicyProvider hapiLocalRetryPolicyProvider(
			@Value("${hapi-local.subscription.delivery-retry-ms:60000}") long theRetryMs) {
		ourLog.info("REST-hook deliveries retried for {} ms before HAPI drops them", theRetryMs);
		return new RetryPolicyProvider() {
			@Override
			protected RetryPolicy retryPolicy() {
				if (theRetryMs <= 0) return new NeverRetryPolicy();
				TimeoutRetryPolicy policy = new TimeoutRetryPolicy();
				policy.setTimeout(theRetryMs);
				return policy;
			}
		};
	}

	/** Logs each step of subscription matching and delivery (logger names ca.uhn.fhir.jpa.subscription...). */
	@Bean
	public SubscriptionDebugLogInterceptor subscriptionDebugLogInterceptor(IInterceptorService theInterceptorService) {
		SubscriptionDebugLogInterceptor interceptor = new SubscriptionDebugLogInterceptor();
		theInterceptorService.registerInterceptor(interceptor);
		return interceptor;
	}
}
