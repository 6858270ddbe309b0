/* telem push --pushgateway URL [--job NAME]: the counters of 'telem export
 * --prometheus' sent to a Prometheus Pushgateway, for CI jobs that end
 * before anything could scrape them. PUT replaces the job's whole group,
 * so counters that went away (files cleaned) do not linger there. */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "commands.h"

struct reply {
	char text[512];
	size_t len;
};

static size_t keep_reply(char *data, size_t size, size_t n, void *arg)
{
	struct reply *r = arg;
	size_t room = sizeof r->text - 1 - r->len, len = size * n;
	memcpy(r->text + r->len, data, len < room ? len : room);
	r->len += len < room ? len : room;
	r->text[r->len] = '\0';
	return size * n;
}

/* Pushgateway puts the job in the URL path: keep it to characters that
 * need no escaping there. */
static int job_ok(const char *job)
{
	return job[0] && strspn(job, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.:-") == strlen(job);
}

static int put_metrics(const char *url, const char *text, size_t len)
{
	CURL *curl = curl_easy_init();
	if (!curl)
		return fail(url, "cannot start libcurl");
	struct reply reply = {{0}, 0};
	char error[CURL_ERROR_SIZE] = "";
	struct curl_slist *headers = curl_slist_append(NULL, "Content-Type: text/plain; version=0.0.4");
	curl_easy_setopt(curl, CURLOPT_URL, url);
	curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, "PUT");
	curl_easy_setopt(curl, CURLOPT_POSTFIELDS, text);
	curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, keep_reply);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, &reply);
	curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error);
	curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, 30000L);
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
	CURLcode rc = curl_easy_perform(curl);
	long status = 0;
	curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
	curl_slist_free_all(headers);
	curl_easy_cleanup(curl);
	if (rc != CURLE_OK)
		return fail(url, "%s", error[0] ? error : curl_easy_strerror(rc));
	if (status < 200 || status > 299) {
		reply.text[strcspn(reply.text, "\r\n")] = '\0';
		return fail(url, "HTTP %ld%s%s", status, reply.text[0] ? ": " : "", reply.text);
	}
	return 0;
}

int cmd_push(struct cli *cli, int argc, char **argv)
{
	const char *gateway = NULL, *job = "telem";
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			fputs(USAGE_PUSH, stdout);
			return 0;
		}
		if (i + 1 < argc && strcmp(argv[i], "--pushgateway") == 0)
			gateway = argv[++i];
		else if (i + 1 < argc && strcmp(argv[i], "--job") == 0)
			job = argv[++i];
		else
			return usage_error("push", "unknown option or missing value '%s'", argv[i]);
	}
	if (!gateway)
		return usage_error("push", "--pushgateway URL is required");
	if (strncmp(gateway, "http://", 7) != 0 && strncmp(gateway, "https://", 8) != 0)
		return usage_error("push", "--pushgateway %s: not an http(s) URL", gateway);
	if (!job_ok(job))
		return usage_error("push", "--job %s: use letters, digits and _ . : - only", job);
	char *text = NULL;
	size_t len = 0;
	int status = export_prometheus(cli, &text, &len);
	char url[2048];
	size_t glen = strlen(gateway);
	while (glen > 0 && gateway[glen - 1] == '/')
		glen--;
	snprintf(url, sizeof url, "%.*s/metrics/job/%s", (int)glen, gateway, job);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	if (put_metrics(url, text ? text : "", text ? len : 0) != 0)
		status = 1;
	curl_global_cleanup();
	free(text);
	return status;
}
