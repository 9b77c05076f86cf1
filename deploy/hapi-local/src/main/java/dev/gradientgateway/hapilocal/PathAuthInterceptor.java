package dev.gradientgateway.hapilocal;

import ca.uhn.fhir.interceptor.api.Hook;
import ca.uhn.fhir.interceptor.api.Interceptor;
import ca.uhn.fhir.interceptor.api.Pointcut;
import ca.uhn.fhir.rest.api.RestOperationTypeEnum;
import ca.uhn.fhir.rest.server.exceptions.ForbiddenOperationException;
import ca.uhn.fhir.rest.server.servlet.ServletRequestDetails;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Access control for the two protected mappings of the one {@code RestfulServer} (the open {@code /fhir/*} is left
 * alone):
 *
 * <ul>
 *   <li>{@code /secure/fhir/*}: OAuth 2.0 bearer tokens as a SMART Backend Services authorization server issues them
 *       (tests/integration/smart_support.py): a JWT signed HS256 with the key in
 *       {@code hapi-local.auth.token-key-file}, not expired ({@code exp}, required; {@code nbf} if present), whose
 *       {@code scope} claim grants the request. {@code GET .well-known/smart-configuration} (the contents of
 *       {@code hapi-local.auth.smart-configuration-file}) and {@code GET metadata} need no token.</li>
 *   <li>{@code /basic/fhir/*}: HTTP Basic with the {@code user:password} in {@code hapi-local.auth.basic-file}.</li>
 * </ul>
 *
 * <p>The three files are read again at every request, so a test may write or replace them while the server runs
 * (replacing the token key invalidates every token issued so far). Without a configured file the mapping refuses
 * everything.
 *
 * <p>Everything is decided at {@code SERVER_INCOMING_REQUEST_PRE_PROCESSED}, before HAPI parses the request, from
 * the method and the path as HAPI will route it: a refusal is written here (401 with {@code WWW-Authenticate} and an
 * OperationOutcome; 403 with {@code error="insufficient_scope"} when the token is good but its scope falls short) and
 * HAPI stops. Only transaction and batch Bundles are judged later, at {@code SERVER_INCOMING_REQUEST_PRE_HANDLED},
 * entry by entry, once HAPI has read the body.
 *
 * <p>What a scope grants (only {@code system/} scopes count): SMART v2 letters {@code c r u d s} on a type or
 * {@code *}; v1 {@code read} = {@code rs}, {@code write} = {@code cud}, {@code *} = {@code cruds}. read (r): GET of an
 * instance, its versions and history; search (s): GET of a type or the system, {@code _search}, type and system
 * history, and the next page of any search ({@code _getpages}: any s); c: POST to a type; u: PUT and PATCH; d:
 * DELETE. Read-only operations ({@code $validate}, {@code $export}, {@code $everything}, ...) need s (or r on an
 * instance); every other operation needs c, u and d; system-level requests need the {@code *} type.
 */
@Interceptor
public class PathAuthInterceptor {

	public static final String SECURE_SERVLET_PATH = "/secure/fhir";
	public static final String BASIC_SERVLET_PATH = "/basic/fhir";

	private static final Logger ourLog = LoggerFactory.getLogger("hapi-local.auth");
	private static final String GRANTS_ATTRIBUTE = PathAuthInterceptor.class.getName() + ".grants";
	private static final String REALM = "hapi-local";
	private static final ObjectMapper ourJson = new ObjectMapper();
	/** SMART v1 ({@code system/Observation.read}, {@code .write}, {@code .*}) and v2 ({@code system/Observation.rs}). */
	private static final Pattern SCOPE = Pattern.compile("system/([A-Za-z]+|\\*)\\.(read|write|\\*|[cruds]+)");
	private static final Pattern RESOURCE_TYPE = Pattern.compile("[A-Z][A-Za-z]+");

	private final Path myTokenKeyFile;
	private final Path myBasicFile;
	private final Path mySmartConfigurationFile;

	public PathAuthInterceptor(Path theTokenKeyFile, Path theBasicFile, Path theSmartConfigurationFile) {
		myTokenKeyFile = theTokenKeyFile;
		myBasicFile = theBasicFile;
		mySmartConfigurationFile = theSmartConfigurationFile;
	}

	// ---- authentication --------------------------------------------------------------------------------------------

	@Hook(Pointcut.SERVER_INCOMING_REQUEST_PRE_PROCESSED)
	public boolean authenticate(HttpServletRequest theRequest, HttpServletResponse theResponse) throws IOException {
		String servletPath = theRequest.getServletPath();
		if (SECURE_SERVLET_PATH.equals(servletPath)) {
			return authenticateBearer(theRequest, theResponse);
		}
		if (BASIC_SERVLET_PATH.equals(servletPath)) {
			return authenticateBasic(theRequest, theResponse);
		}
		return true;
	}

	/** The request path below the servlet path, undecoded (as HAPI itself reads it): "/Patient/1", "/metadata", "". */
	private static String pathBelowServlet(HttpServletRequest theRequest) {
		String uri = theRequest.getRequestURI() == null ? "" : theRequest.getRequestURI();
		String prefix = (theRequest.getContextPath() == null ? "" : theRequest.getContextPath())
				+ theRequest.getServletPath();
		return uri.startsWith(prefix) ? uri.substring(prefix.length()) : uri;
	}

	private static boolean isGetOrHead(HttpServletRequest theRequest) {
		return "GET".equals(theRequest.getMethod()) || "HEAD".equals(theRequest.getMethod());
	}

	private boolean authenticateBearer(HttpServletRequest theRequest, HttpServletResponse theResponse)
			throws IOException {
		String path = pathBelowServlet(theRequest);
		if (isGetOrHead(theRequest) && path.equals("/.well-known/smart-configuration")) {
			serveSmartConfiguration(theResponse);
			return false;
		}
		if (isGetOrHead(theRequest) && path.equals("/metadata")) {
			return true;
		}
		String header = theRequest.getHeader("Authorization");
		if (header == null || header.isBlank()) {
			// RFC 6750 3.1: a request without any credential gets no error code.
			return refuseBearer(theRequest, theResponse, null, "no Authorization header (a Bearer token is required)");
		}
		if (!header.regionMatches(true, 0, "Bearer ", 0, 7)) {
			return refuseBearer(
					theRequest, theResponse, "invalid_request", "the Authorization header is not a Bearer token");
		}
		String token = header.substring(7).trim();
		JsonNode claims;
		try {
			claims = verifyAccessToken(token);
		} catch (InvalidTokenException e) {
			return refuseBearer(theRequest, theResponse, "invalid_token", e.getMessage());
		}
		List<Grant> grants = grantsOf(claims.path("scope").asText(""));
		theRequest.setAttribute(GRANTS_ATTRIBUTE, grants);
		return authorizeByPath(theRequest, theResponse, path, grants);
	}

	private boolean authenticateBasic(HttpServletRequest theRequest, HttpServletResponse theResponse)
			throws IOException {
		String expected;
		try {
			expected = readConfigured(myBasicFile, "hapi-local.auth.basic-file").strip();
		} catch (IOException e) {
			return refuseBasic(theRequest, theResponse, "no credential configured: " + e.getMessage());
		}
		String header = theRequest.getHeader("Authorization");
		if (header == null || !header.regionMatches(true, 0, "Basic ", 0, 6)) {
			return refuseBasic(theRequest, theResponse, "no Basic credential");
		}
		byte[] given;
		try {
			given = Base64.getDecoder().decode(header.substring(6).trim());
		} catch (IllegalArgumentException e) {
			return refuseBasic(theRequest, theResponse, "the Basic credential is not base64");
		}
		if (expected.isEmpty() || !MessageDigest.isEqual(given, expected.getBytes(StandardCharsets.UTF_8))) {
			return refuseBasic(theRequest, theResponse, "wrong user or password");
		}
		return true;
	}

	private void serveSmartConfiguration(HttpServletResponse theResponse) throws IOException {
		String body;
		try {
			body = readConfigured(mySmartConfigurationFile, "hapi-local.auth.smart-configuration-file");
			ourJson.readTree(body); // serve only well-formed JSON
		} catch (NoSuchFileException e) {
			writeOutcome(theResponse, 404, "not-found",
					"no authorization server has registered: " + mySmartConfigurationFile + " does not exist");
			return;
		} catch (IOException e) {
			writeOutcome(theResponse, 503, "exception", "cannot serve the SMART configuration: " + e.getMessage());
			return;
		}
		theResponse.setStatus(200);
		theResponse.setContentType("application/json");
		theResponse.setCharacterEncoding("UTF-8");
		theResponse.setHeader("Cache-Control", "no-store");
		theResponse.getWriter().write(body);
	}

	private boolean refuseBearer(
			HttpServletRequest theRequest, HttpServletResponse theResponse, String theError, String theDescription)
			throws IOException {
		StringBuilder challenge = new StringBuilder("Bearer realm=\"" + REALM + "\"");
		if (theError != null) {
			challenge.append(", error=\"").append(theError).append("\", error_description=\"")
					.append(theDescription.replace("\\", "").replace("\"", "'")).append('"');
		}
		theResponse.setHeader("WWW-Authenticate", challenge.toString());
		int status = "invalid_request".equals(theError) ? 400 : 401;
		ourLog.info("{} {} {}: {}", status, theRequest.getMethod(), theRequest.getRequestURI(), theDescription);
		writeOutcome(theResponse, status, "login", theDescription);
		return false;
	}

	private boolean refuseBasic(HttpServletRequest theRequest, HttpServletResponse theResponse, String theDescription)
			throws IOException {
		theResponse.setHeader("WWW-Authenticate", "Basic realm=\"" + REALM + "\", charset=\"UTF-8\"");
		ourLog.info("401 {} {}: {}", theRequest.getMethod(), theRequest.getRequestURI(), theDescription);
		writeOutcome(theResponse, 401, "login", theDescription);
		return false;
	}

	private static void writeOutcome(HttpServletResponse theResponse, int theStatus, String theCode, String theText)
			throws IOException {
		var outcome = ourJson.createObjectNode();
		outcome.put("resourceType", "OperationOutcome");
		var issue = outcome.putArray("issue").addObject();
		issue.put("severity", "error");
		issue.put("code", theCode);
		issue.put("diagnostics", theText);
		theResponse.setStatus(theStatus);
		theResponse.setContentType("application/fhir+json");
		theResponse.setCharacterEncoding("UTF-8");
		theResponse.getWriter().write(ourJson.writeValueAsString(outcome));
	}

	private static String readConfigured(Path theFile, String theProperty) throws IOException {
		if (theFile == null) {
			throw new NoSuchFileException("(" + theProperty + " is not set)");
		}
		return Files.readString(theFile, StandardCharsets.UTF_8);
	}

	// ---- the access token --------------------------------------------------------------------------------------------

	static final class InvalidTokenException extends Exception {
		InvalidTokenException(String theMessage) {
			super(theMessage);
		}
	}

	/** The claims of a well-signed, unexpired HS256 JWT, or why it is not one. */
	private JsonNode verifyAccessToken(String theToken) throws InvalidTokenException {
		String[] parts = theToken.split("\\.", -1);
		if (parts.length != 3 || parts[0].isEmpty() || parts[1].isEmpty() || parts[2].isEmpty()) {
			throw new InvalidTokenException("the token is not a signed JWT (three base64url parts)");
		}
		JsonNode header = decodeJson(parts[0], "header");
		if (!"HS256".equals(header.path("alg").asText(null))) {
			throw new InvalidTokenException("the token's alg must be HS256, got " + header.path("alg"));
		}
		byte[] key;
		try {
			key = readConfigured(myTokenKeyFile, "hapi-local.auth.token-key-file").strip()
					.getBytes(StandardCharsets.UTF_8);
		} catch (IOException e) {
			throw new InvalidTokenException("the server has no token key: " + e.getMessage());
		}
		if (key.length < 32) {
			throw new InvalidTokenException("the server's token key is shorter than 32 bytes");
		}
		byte[] expected;
		try {
			Mac mac = Mac.getInstance("HmacSHA256");
			mac.init(new SecretKeySpec(key, "HmacSHA256"));
			expected = mac.doFinal((parts[0] + "." + parts[1]).getBytes(StandardCharsets.US_ASCII));
		} catch (GeneralSecurityException e) {
			throw new IllegalStateException(e);
		}
		byte[] given;
		try {
			given = Base64.getUrlDecoder().decode(parts[2]);
		} catch (IllegalArgumentException e) {
			throw new InvalidTokenException("the token's signature is not base64url");
		}
		if (!MessageDigest.isEqual(expected, given)) {
			throw new InvalidTokenException("bad token signature");
		}
		JsonNode claims = decodeJson(parts[1], "claims");
		long now = System.currentTimeMillis() / 1000;
		JsonNode exp = claims.get("exp");
		if (exp == null || !exp.isNumber()) {
			throw new InvalidTokenException("the token has no numeric exp");
		}
		if (exp.asLong() <= now) {
			throw new InvalidTokenException("the token expired " + (now - exp.asLong()) + " s ago");
		}
		JsonNode nbf = claims.get("nbf");
		if (nbf != null && (!nbf.isNumber() || nbf.asLong() > now + 5)) {
			throw new InvalidTokenException("the token is not valid yet (nbf)");
		}
		if (!claims.path("scope").isTextual()) {
			throw new InvalidTokenException("the token has no scope claim");
		}
		return claims;
	}

	private static JsonNode decodeJson(String thePart, String theWhat) throws InvalidTokenException {
		try {
			JsonNode node = ourJson.readTree(Base64.getUrlDecoder().decode(thePart));
			if (node == null || !node.isObject()) {
				throw new InvalidTokenException("the token's " + theWhat + " is not a JSON object");
			}
			return node;
		} catch (IllegalArgumentException | IOException e) {
			throw new InvalidTokenException("the token's " + theWhat + " is not base64url JSON");
		}
	}

	// ---- scopes ---------------------------------------------------------------------------------------------------

	/** What one scope grants: a resource type ("*" for all) and SMART v2 permission letters (c r u d s). */
	record Grant(String type, Set<Character> permissions) {
		boolean allows(String theType, char thePermission) {
			return ("*".equals(type) || type.equals(theType)) && permissions.contains(thePermission);
		}
	}

	/**
	 * The grants of a {@code scope} claim. Only {@code system/} scopes count; v1 {@code read} is v2 {@code rs},
	 * {@code write} is {@code cud}, {@code *} is {@code cruds}. A scope with v2 query parameters
	 * ({@code system/Observation.rs?category=...}) or any other form grants nothing.
	 */
	static List<Grant> grantsOf(String theScope) {
		List<Grant> grants = new ArrayList<>();
		for (String scope : theScope.trim().split("\\s+")) {
			Matcher m = SCOPE.matcher(scope);
			if (!m.matches()) {
				continue;
			}
			String permissions = switch (m.group(2)) {
				case "read" -> "rs";
				case "write" -> "cud";
				case "*" -> "cruds";
				default -> m.group(2);
			};
			Set<Character> set = new LinkedHashSet<>();
			for (char c : permissions.toCharArray()) {
				set.add(c);
			}
			grants.add(new Grant(m.group(1), set));
		}
		return grants;
	}

	/** Operations that only read: need r (instance) or s (type, system); every other operation needs c, u and d. */
	private static final Set<String> READ_ONLY_OPERATIONS = Set.of(
			"$validate", "$export", "$export-poll-status", "$everything", "$meta", "$expand", "$lookup",
			"$validate-code", "$translate", "$subsumes", "$graphql");

	/** One permission needed: a letter on a resource type ("*": a system-level request, needs a "*" grant). */
	private record Need(String type, char permission) {}

	/**
	 * The scope check of everything but transaction and batch Bundles, from the method and the path as HAPI will
	 * route them; answers 403 itself and returns false when the grants fall short.
	 */
	private boolean authorizeByPath(
			HttpServletRequest theRequest, HttpServletResponse theResponse, String thePath, List<Grant> theGrants)
			throws IOException {
		String method = theRequest.getMethod().toUpperCase(Locale.ROOT);
		boolean get = method.equals("GET") || method.equals("HEAD");
		String[] segments = thePath.replaceAll("^/+|/+$", "").split("/+");
		if (segments.length == 1 && segments[0].isEmpty()) {
			segments = new String[0];
		}
		List<Need> needs = new ArrayList<>();
		String describe = method + " " + (thePath.isEmpty() ? "/" : thePath);
		if (segments.length == 0) {
			if (method.equals("POST")) {
				return true; // transaction or batch: each entry is checked at PRE_HANDLED (authorizeBundle)
			}
			if (get && theRequest.getParameter("_getpages") != null) {
				// The next page of a search already allowed: any search permission will do (the type is not known).
				if (theGrants.stream().noneMatch(g -> g.permissions().contains('s'))) {
					return refuseScope(theRequest, theResponse, "paging needs a search scope (s or read)");
				}
				return true;
			}
			needs.add(new Need("*", get ? 's' : 'x'));
		} else if (!RESOURCE_TYPE.matcher(segments[0]).matches()) {
			// System level: $operation, _history, _search, or something HAPI will refuse anyway.
			String first = segments[0];
			boolean reads = (first.startsWith("$") && READ_ONLY_OPERATIONS.contains(first))
					|| first.equals("_history") || first.equals("_search");
			needs.addAll(readsOrWrites("*", reads && (get || !first.equals("_history")), 's'));
		} else {
			String type = segments[0];
			if (segments.length == 1) {
				needs.add(new Need(type, switch (method) {
					case "GET", "HEAD" -> 's';
					case "POST" -> 'c';
					case "PUT", "PATCH" -> 'u'; // conditional update
					case "DELETE" -> 'd'; // conditional delete
					default -> 'x';
				}));
			} else if (segments[1].equals("_search") || segments[1].equals("_history")) {
				needs.add(new Need(type, get || segments[1].equals("_search") ? 's' : 'x'));
			} else if (segments[1].startsWith("$")) {
				needs.addAll(readsOrWrites(type, READ_ONLY_OPERATIONS.contains(segments[1]), 's'));
			} else if (segments.length == 2) {
				needs.add(new Need(type, switch (method) {
					case "GET", "HEAD" -> 'r';
					case "PUT", "PATCH" -> 'u';
					case "DELETE" -> 'd';
					default -> 'x';
				}));
			} else if (segments[2].startsWith("$")) {
				needs.addAll(readsOrWrites(type, READ_ONLY_OPERATIONS.contains(segments[2]), 'r'));
			} else {
				// _history, _history/N and anything else below an instance
				needs.addAll(readsOrWrites(type, get, 'r'));
			}
		}
		for (Need need : needs) {
			if (need.permission() == 'x') {
				// Not a FHIR interaction hapi-local knows how to judge: only an all-powerful token passes.
				if (theGrants.stream().noneMatch(g -> "*".equals(g.type()) && g.permissions().containsAll(
						List.of('c', 'r', 'u', 'd', 's')))) {
					return refuseScope(theRequest, theResponse, describe + " needs system/*.cruds");
				}
			} else if (theGrants.stream().noneMatch(g -> g.allows(need.type(), need.permission()))) {
				return refuseScope(theRequest, theResponse, "the token's scope does not grant '" + need.permission()
						+ "' on " + ("*".equals(need.type()) ? "all resource types (system/*)" : need.type())
						+ " for " + describe);
			}
		}
		return true;
	}

	/** A read (the one letter) or a write (c, u and d) on a type. */
	private static List<Need> readsOrWrites(String theType, boolean theRead, char theReadLetter) {
		if (theRead) {
			return List.of(new Need(theType, theReadLetter));
		}
		return List.of(new Need(theType, 'c'), new Need(theType, 'u'), new Need(theType, 'd'));
	}

	private boolean refuseScope(HttpServletRequest theRequest, HttpServletResponse theResponse, String theText)
			throws IOException {
		theResponse.setHeader("WWW-Authenticate", "Bearer realm=\"" + REALM
				+ "\", error=\"insufficient_scope\", error_description=\"" + theText.replace("\"", "'") + "\"");
		ourLog.info("403 {} {}: {}", theRequest.getMethod(), theRequest.getRequestURI(), theText);
		writeOutcome(theResponse, 403, "forbidden", theText);
		return false;
	}

	/**
	 * Transaction and batch Bundles: every entry's request.method and request.url must be granted. This is the one
	 * check made at PRE_HANDLED (the Bundle is read by then); a refusal is a ForbiddenOperationException, which HAPI
	 * answers 403 with an OperationOutcome (and logs with a stack trace).
	 */
	@Hook(Pointcut.SERVER_INCOMING_REQUEST_PRE_HANDLED)
	public void authorizeBundle(ServletRequestDetails theRequest, RestOperationTypeEnum theOperation) {
		if (!SECURE_SERVLET_PATH.equals(theRequest.getServletRequest().getServletPath())
				|| (theOperation != RestOperationTypeEnum.TRANSACTION && theOperation != RestOperationTypeEnum.BATCH)
				|| theRequest.getResourceName() != null) {
			return;
		}
		Object attribute = theRequest.getServletRequest().getAttribute(GRANTS_ATTRIBUTE);
		if (!(attribute instanceof List<?> list)) {
			throw forbidden("no verified token for this request");
		}
		@SuppressWarnings("unchecked")
		List<Grant> grants = (List<Grant>) list;
		for (Need need : bundleNeeds(theRequest)) {
			if (grants.stream().noneMatch(g -> g.allows(need.type(), need.permission()))) {
				throw forbidden("the token's scope does not grant '" + need.permission() + "' on "
						+ ("*".equals(need.type()) ? "all resource types (system/*)" : need.type())
						+ " for an entry of a " + theOperation.name().toLowerCase(Locale.ROOT) + " Bundle");
			}
		}
	}

	/** Each entry of a transaction or batch Bundle by its request.method and request.url; unreadable: all of *. */
	private static List<Need> bundleNeeds(ServletRequestDetails theRequest) {
		List<Need> needs = new ArrayList<>();
		try {
			JsonNode bundle = ourJson.readTree(theRequest.loadRequestContents());
			for (JsonNode entry : bundle.path("entry")) {
				String method = entry.path("request").path("method").asText("");
				String url = entry.path("request").path("url").asText("");
				String path = url.split("\\?", 2)[0];
				String[] segments = path.split("/");
				String type = segments.length > 0 && RESOURCE_TYPE.matcher(segments[0]).matches() ? segments[0] : "*";
				boolean instance = segments.length > 1 && !segments[1].startsWith("_") && !segments[1].startsWith("$");
				switch (method) {
					case "GET", "HEAD" -> needs.add(new Need(type, instance ? 'r' : 's'));
					case "POST" -> needs.add(new Need(type, path.endsWith("/_search") ? 's' : 'c'));
					case "PUT", "PATCH" -> needs.add(new Need(type, 'u'));
					case "DELETE" -> needs.add(new Need(type, 'd'));
					default -> throw new IOException("entry without request.method");
				}
			}
		} catch (IOException | RuntimeException e) {
			// Not JSON (e.g. XML) or malformed: demand everything rather than guess.
			needs.clear();
			for (char c : "cruds".toCharArray()) {
				needs.add(new Need("*", c));
			}
		}
		return needs;
	}

	private static ForbiddenOperationException forbidden(String theMessage) {
		ourLog.info("403: {}", theMessage);
		ForbiddenOperationException e = new ForbiddenOperationException(theMessage);
		e.addResponseHeader(
				"WWW-Authenticate", "Bearer realm=\"" + REALM + "\", error=\"insufficient_scope\", error_description=\""
						+ theMessage.replace("\"", "'") + "\"");
		return e;
	}
}
